#pragma once
// Where the programs find their model and resources: relative to the running executable,
// <exe dir>/../share/harmonizer-studio, which holds in the build tree and once installed.
#include <string>

namespace hz {

std::string executableDir();
// <exe dir>/../share/harmonizer-studio (no trailing slash).
std::string shareDir();
// The shipped model file: <shareDir>/models/harmonizer.hzm
std::string defaultModelPath();
// Select Subject's shipped model: <shareDir>/models/subject.hzm (also hz::subject::).
std::string defaultSubjectModelPath();
// The bundled sample composite and its mask.
std::string sampleImagePath();
std::string sampleMaskPath();
std::string versionString();

}  // namespace hz
