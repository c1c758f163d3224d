#pragma once
// The editor's session sidecar: a small versioned JSON file that names the composite and
// its mask and keeps the slider values, the predicted values, the amount and the model
// version. Paths are stored relative to the sidecar's folder when they live below it, so a
// folder holding image, mask and sidecar can be moved as a whole.
#include <optional>
#include <string>
#include <vector>

#include "core/params.h"

namespace hz {

// Version 2 adds "compose" (the layers of a composition); a session without layers is still
// written as version 1, so older programs keep reading it.
inline constexpr int kSessionFormatVersion = 2;
inline constexpr const char* kSessionFormatName = "harmonizer-studio-session";

// One foreground of a composition: its file, a separate mask file (empty: the file's own
// alpha) and where it sits over the background.
struct SessionLayer {
    std::string imagePath, maskPath;  // absolute after readSession()
    double x = 0.0, y = 0.0, scale = 1.0;
};

struct SessionCompose {
    std::string backgroundPath;  // absolute after readSession()
    std::vector<SessionLayer> layers;  // bottom first
    int active = -1;
};

struct SessionFile {
    int formatVersion = kSessionFormatVersion;
    std::string imagePath;  // absolute after readSession()
    std::string maskPath;   // absolute after readSession(); may be empty (no mask yet)
    FilterParams values;
    std::optional<FilterParams> predicted;  // absent until Harmonize ran
    double amount = 1.0;                    // 0..1
    std::string modelVersion;               // of the model that predicted; empty if none
    // Present while composing: the layers stay movable after reopening. `imagePath` and
    // `maskPath` then name the flattened composite and its mask, for the CLI.
    std::optional<SessionCompose> compose;
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
