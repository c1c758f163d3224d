#include "core/subject/subject_model.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include "core/error.h"
#include "core/model/hzm_container.h"
#include "core/model/model_file.h"

namespace hz::subject {
namespace {

// The subject network sees the photo at a multiple of 32 (its five stride-2 stages).
bool isValidSubjectInputSize(int side) { return side >= 64 && side <= 1024 && side % 32 == 0; }

}  // namespace

void saveSubjectModel(const std::string& path, SubjectNet& net, const SubjectModelInfo& info) {
    if (!isValidSubjectInputSize(info.inputSize))
        throw Error("cannot write subject model '" + path + "': invalid input size " + std::to_string(info.inputSize));
    QJsonObject object;
    object["format_version"] = kModelFormatVersion;
    object["architecture"] = kSubjectArchitecture;
    object["input_size"] = info.inputSize;
    object["model_version"] = QString::fromStdString(info.modelVersion);
    object["training_notes"] = QString::fromStdString(info.trainingNotes);
    object["parameter_count"] = double(net->parameterCount());
    writeHzmModule(path, QJsonDocument(object).toJson(QJsonDocument::Indented).toStdString(), *net);
}

SubjectModelInfo loadSubjectModel(const std::string& path, SubjectNet& net) {
    const HzmContents contents = readHzmFile(path);
    QJsonParseError parseError;
    const auto document = QJsonDocument::fromJson(
        QByteArray(contents.metadataJson.data(), qsizetype(contents.metadataJson.size())), &parseError);
    if (document.isNull() || !document.isObject())
        throw Error("subject model '" + path + "' has unreadable metadata: " + parseError.errorString().toStdString());
    const auto object = document.object();
    const auto architecture = object.value("architecture").toString().toStdString();
    if (architecture != kSubjectArchitecture)
        throw Error("'" + path + "' is not a subject model (its architecture is '" + architecture + "', expected '" +
                    kSubjectArchitecture + "'; a harmonization model goes to --model)");
    SubjectModelInfo info;
    info.inputSize = object.value("input_size").toInt(-1);
    if (!isValidSubjectInputSize(info.inputSize))
        throw Error("subject model '" + path + "' has an invalid input size " + std::to_string(info.inputSize) +
                    " (expected a multiple of 32 from 64 to 1024)");
    info.modelVersion = object.value("model_version").toString().toStdString();
    info.trainingNotes = object.value("training_notes").toString().toStdString();
    SubjectNet destination;
    if (!net->is_training()) destination->eval();
    copyHzmTensors(contents, *destination, path);
    net = destination;
    info.parameterCount = net->parameterCount();
    return info;
}

}  // namespace hz::subject
