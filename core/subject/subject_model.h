#pragma once
// The subject model file: the same .hzm container as the harmonization model (layout:
// core/model/model_file.h), with architecture "subject-mobilenet-v2-fpn" in its metadata.
// A harmonization model given where a subject model is expected (or the other way round) is
// refused with an error naming the file.
#include <string>

#include "core/subject/subject_net.h"
#include "core/subject/subject_predictor.h"

namespace hz::subject {

inline constexpr const char* kSubjectArchitecture = "subject-mobilenet-v2-fpn";

// Writes atomically; info.parameterCount is taken from the network. Throws hz::Error.
void saveSubjectModel(const std::string& path, SubjectNet& net, const SubjectModelInfo& info);
// Validates the whole file (container, metadata, every tensor's name and shape) before `net`
// is touched. Throws hz::Error naming the file.
SubjectModelInfo loadSubjectModel(const std::string& path, SubjectNet& net);

}  // namespace hz::subject
