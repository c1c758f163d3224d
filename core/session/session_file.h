#pragma once
// The editor's session sidecar: a small versioned JSON file that names the composite and
// its mask and keeps the slider values, the predicted values, the amount and the model
// version. Paths are stored relative to the sidecar's folder when they live below it, so a
// folder holding image, mask and sidecar can be moved as a whole.
#include <optional>
#include <string>

#include "core/params.h"

namespace hz {

inline constexpr int kSessionFormatVersion = 1;
inline constexpr const char* kSessionFormatName = "harmonizer-studio-session";

struct SessionFile {
    int formatVersion = kSessionFormatVersion;
    std::string imagePath;  // absolute after readSession()
    std::string maskPath;   // absolute after readSession(); may be empty (no mask yet)
    FilterParams values;
    std::optional<FilterParams> predicted;  // absent until Harmonize ran
    double amount = 1.0;                    // 0..1
    std::string modelVersion;               // of the model that predicted; empty if none
};

// Values rounded to the 6 decimals that the sidecar and `harmonizer-cli apply` carry, so that
// rendering with them gives the same pixels as the CLI fed the printed numbers.
double roundToSidecarPrecision(double value);
FilterParams roundToSidecarPrecision(const FilterParams& params);

// JSON text of the session; `sidecarPath` decides how the paths are written (relative when
// below its folder).
std::string sessionToJson(const SessionFile& session, const std::string& sidecarPath);
// Parses the text; relative paths resolve against the folder of `sidecarPath`.
// Throws hz::Error naming `sidecarPath` for malformed JSON, a wrong format or a newer version.
SessionFile sessionFromJson(const std::string& json, const std::string& sidecarPath);

// writeFileAtomic(sessionToJson(...)); throws hz::Error.
void writeSession(const std::string& sidecarPath, const SessionFile& session);
// Reads and parses; throws hz::Error naming the file.
SessionFile readSession(const std::string& sidecarPath);

}  // namespace hz
