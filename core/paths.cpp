#include "paths.h"

#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace hz {

std::string executableDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path().string() : exe.parent_path().string();
}

std::string shareDir() {
    return (fs::path(executableDir()).parent_path() / HZ_SHARE_SUBDIR).lexically_normal().string();
}

std::string defaultModelPath() { return shareDir() + "/models/harmonizer.hzm"; }
std::string defaultSubjectModelPath() { return shareDir() + "/models/subject.hzm"; }
std::string sampleImagePath() { return shareDir() + "/resources/sample/composite.jpg"; }
std::string sampleMaskPath() { return shareDir() + "/resources/sample/mask.png"; }
std::string versionString() { return HZ_VERSION; }

}  // namespace hz
