// The subject network of Select Subject: shapes, the frozen encoder statistics, the ImageNet
// import (against the published network written out by hand), the model file, the predictor
// and the training views. No shared/ data: every weight and photo is synthesised here.
#include <QtTest>

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/subject/subject_model.h"
#include "core/subject/subject_net.h"
#include "core/subject/subject_predictor.h"
#include "core/subject/training/subject_training.h"
#include "tests/model/mobilenet_reference.h"
#include "tests/model/random_model.h"
#include "tests/subject/random_subject_model.h"

using namespace hz;
using namespace hz::subject;
namespace fs = std::filesystem;

namespace {

std::vector<torch::Tensor> encoderRunningMeans(SubjectNet& net) {
    std::vector<torch::Tensor> means;
    for (auto& module : net->stem->modules())
        if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) means.push_back(bn->running_mean.clone());
    for (auto& block : net->blocks)
        for (auto& module : block->modules())
            if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) means.push_back(bn->running_mean.clone());
    return means;
}

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

// A photo with a bright disc on a darker, textured background.
cv::Mat discPhoto(cv::Size size) {
    cv::Mat photo(size, CV_8UC3);
    cv::randu(photo, cv::Scalar::all(20), cv::Scalar::all(90));
    cv::circle(photo, {size.width / 2, size.height / 2}, std::min(size.width, size.height) / 4, cv::Scalar(40, 180, 230),
               cv::FILLED);
    return photo;
}

}  // namespace

class TestSubjectNet : public QObject {
    Q_OBJECT

    fs::path dir_;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        dir_ = fs::temp_directory_path() / ("hz_test_subject_net_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void cleanupTestCase() { fs::remove_all(dir_); }

    void outputHasTheInputSize_data() {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("height");
        QTest::addColumn<int>("width");
        QTest::newRow("square 64") << 1 << 64 << 64;
        QTest::newRow("wide 64x128") << 1 << 64 << 128;
        QTest::newRow("batch of 2 at 96") << 2 << 96 << 96;
    }
    void outputHasTheInputSize() {
        QFETCH(int, batch);
        QFETCH(int, height);
        QFETCH(int, width);
        auto net = test::randomSubjectNet(1);
        torch::NoGradGuard noGrad;
        const auto logits = net->forward(torch::rand({batch, 3, height, width}));
        QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{batch, 1, height, width}));
        QVERIFY(torch::isfinite(logits).all().item<bool>());
        const auto taps = net->encode(torch::rand({1, 3, height, width}));
        QCOMPARE(int(taps.size()), 5);
        QCOMPARE(taps.back().size(1), std::int64_t(320));
        QCOMPARE(taps.back().size(2), std::int64_t(height / 32));
    }

    void sizesThatAreNotMultiplesOf32AreRefused() {
        auto net = test::randomSubjectNet(1);
        torch::NoGradGuard noGrad;
        QVERIFY_THROWS_EXCEPTION(c10::Error, net->forward(torch::rand({1, 3, 70, 64})));
    }

    void trainingModeKeepsTheEncoderStatistics() {
        auto net = test::randomSubjectNet(2);
        net->train();
        QVERIFY(net->is_training());
        const auto before = encoderRunningMeans(net);
        const auto decoderBefore = net->top->bn->running_mean.clone();
        torch::NoGradGuard noGrad;
        net->forward(torch::rand({2, 3, 64, 64}) * 0.5 + 0.3);
        const auto after = encoderRunningMeans(net);
        QCOMPARE(after.size(), before.size());
        for (std::size_t i = 0; i < before.size(); ++i) QVERIFY(torch::equal(before[i], after[i]));
        QVERIFY(!torch::equal(decoderBefore, net->top->bn->running_mean));  // the decoder does learn statistics
    }

    void parameterGroupsCoverEveryParameterOnce() {
        auto net = test::randomSubjectNet(3);
        const auto encoder = net->encoderParameters(), decoder = net->decoderParameters();
        QCOMPARE(encoder.size() + decoder.size(), net->parameters().size());
        std::int64_t count = 0;
        for (const auto& p : encoder) count += p.numel();
        for (const auto& p : decoder) count += p.numel();
        QCOMPARE(count, net->parameterCount());
    }

    void importComputesThePublishedEncoder() {
        const auto weights = test::publishedLikeWeights(21);
        SafeTensors file;
        file.tensors = weights;
        SubjectNet net;
        importSubjectEncoder(net, file, "synthetic.safetensors");
        net->eval();
        torch::NoGradGuard noGrad;
        const auto rgb = torch::rand({2, 3, 96, 96});
        const auto top = net->encode(rgb).back();
        const auto pooled = torch::conv2d(top, weights.at("features.18.0.weight"), weights.at("features.18.0.bias"))
                                .clamp(0, 6)
                                .mean({2, 3});
        const auto expected = test::referencePooled(weights, rgb);
        const double error = (pooled - expected).abs().max().item<double>() / expected.abs().max().item<double>();
        QVERIFY2(error < 1e-4, qPrintable(QString("relative error %1").arg(error)));
    }

    void importNamesAMissingTensor() {
        auto weights = test::publishedLikeWeights(22);
        weights.erase("features.9.conv.1.0.weight");
        SafeTensors file;
        file.tensors = weights;
        SubjectNet net;
        try {
            importSubjectEncoder(net, file, "broken.safetensors");
            QFAIL("a missing tensor was accepted");
        } catch (const Error& e) {
            const std::string message = e.what();
            QVERIFY2(message.find("broken.safetensors") != std::string::npos, e.what());
            QVERIFY2(message.find("features.9.conv.1.0.weight") != std::string::npos, e.what());
        }
    }

    void modelFileKeepsWeightsAndMetadata() {
        auto net = test::randomSubjectNet(4);
        SubjectModelInfo info;
        info.inputSize = 256;
        info.modelVersion = "round-trip";
        info.trainingNotes = "notes";
        const auto path = (dir_ / "round.hzm").string();
        saveSubjectModel(path, net, info);
        SubjectNet loaded;
        loaded->eval();
        const auto read = loadSubjectModel(path, loaded);
        QCOMPARE(read.inputSize, 256);
        QCOMPARE(read.modelVersion, std::string("round-trip"));
        QCOMPARE(read.parameterCount, net->parameterCount());
        torch::NoGradGuard noGrad;
        const auto x = torch::rand({1, 3, 64, 64});
        QVERIFY(torch::equal(net->forward(x), loaded->forward(x)));
    }

    void wrongModelFilesAreRefused_data() {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected");
        QTest::newRow("a harmonization model") << "harmonization" << "not a subject model";
        QTest::newRow("one changed byte") << "flip" << "checksum";
        QTest::newRow("cut short") << "truncate" << "subject_bad.hzm";
        QTest::newRow("missing") << "missing" << "subject_bad.hzm";
    }
    void wrongModelFilesAreRefused() {
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        const fs::path path = dir_ / "subject_bad.hzm";
        fs::remove(path);
        if (damage == "harmonization") {
            test::writeRandomModel(path.string(), 1);
        } else if (damage != "missing") {
            test::writeRandomSubjectModel(path.string(), 5, 64);
            std::string bytes = readBytes(path);
            if (damage == "flip") bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x40);
            else bytes.resize(bytes.size() / 3);
            writeBytes(path, bytes);
        }
        SubjectNet net;
        const auto before = net->logits->weight.clone();
        try {
            loadSubjectModel(path.string(), net);
            QFAIL("a wrong file was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find(expected.toStdString()) != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("subject_bad.hzm") != std::string::npos, e.what());
        }
        QVERIFY(torch::equal(before, net->logits->weight));  // untouched
    }

    void predictorGivesTheNetworkSquare_data() {
        QTest::addColumn<int>("depth");
        QTest::newRow("8-bit photo") << CV_8U;
        QTest::newRow("16-bit photo") << CV_16U;
    }
    void predictorGivesTheNetworkSquare() {
        QFETCH(int, depth);
        const auto path = (dir_ / "predictor.hzm").string();
        test::writeRandomSubjectModel(path, 6, 96);
        SubjectPredictor predictor(path, 1);
        QCOMPARE(predictor.info().inputSize, 96);
        cv::Mat photo = discPhoto({150, 110});
        const cv::Mat reference = predictor.predictSquare(photo);
        if (depth == CV_16U) photo.convertTo(photo, CV_16UC3, 257.0);
        const cv::Mat square = predictor.predictSquare(photo);
        QCOMPARE(square.type(), CV_32FC1);
        QCOMPARE(square.size(), cv::Size(96, 96));
        double lo = 0, hi = 0;
        cv::minMaxLoc(square, &lo, &hi);
        QVERIFY(lo >= 0.0 && hi <= 1.0);
        // The same picture in 16 bits gives the same answer (up to the 8-bit rounding of the resize).
        QVERIFY(cv::norm(square, reference, cv::NORM_INF) < 2e-2);
    }

    // Select Subject's default: the mean of the photo's and its mirror's answers, so a
    // mirrored photo gets the mirrored mask; one view is not (a random network is not symmetric).
    void mirrorAverageIsTheMeanOfBothViews() {
        const auto path = (dir_ / "mirror.hzm").string();
        test::writeRandomSubjectModel(path, 7, 64);
        SubjectPredictor predictor(path, 1);
        QVERIFY(predictor.mirrorAverage());
        cv::Mat photo = discPhoto({90, 70});
        cv::Mat mirroredPhoto;
        cv::flip(photo, mirroredPhoto, 1);
        const cv::Mat averaged = predictor.predictSquare(photo);
        cv::Mat averagedOfMirror;
        cv::flip(predictor.predictSquare(mirroredPhoto), averagedOfMirror, 1);
        QVERIFY(cv::norm(averaged, averagedOfMirror, cv::NORM_INF) < 1e-5);

        predictor.setMirrorAverage(false);
        const cv::Mat single = predictor.predictSquare(photo);
        cv::Mat singleOfMirror;
        cv::flip(predictor.predictSquare(mirroredPhoto), singleOfMirror, 1);
        QVERIFY(cv::norm(single, singleOfMirror, cv::NORM_INF) > 1e-3);
        QVERIFY(cv::norm(averaged, 0.5 * (single + singleOfMirror), cv::NORM_INF) < 1e-5);
    }

    void predictorRefusesUnusableImages_data() {
        QTest::addColumn<int>("type");
        QTest::newRow("empty") << -1;
        QTest::newRow("grey") << CV_8UC1;
        QTest::newRow("float") << CV_32FC3;
    }
    void predictorRefusesUnusableImages() {
        QFETCH(int, type);
        const auto path = (dir_ / "predictor.hzm").string();
        test::writeRandomSubjectModel(path, 6, 64);
        SubjectPredictor predictor(path, 1);
        const cv::Mat image = type < 0 ? cv::Mat() : cv::Mat(40, 40, type, cv::Scalar::all(0));
        QVERIFY_THROWS_EXCEPTION(Error, predictor.predictSquare(image));
    }

    void boxViewFramesTheObject() {
        training::TrainingData data;
        data.photos.push_back({discPhoto({200, 160}), "synthetic:1"});
        training::MaskedItem item;
        item.photo = 0;
        item.mask = cv::Mat::zeros(160, 200, CV_8UC1);
        cv::rectangle(item.mask, cv::Rect(20, 30, 40, 50), cv::Scalar(255), cv::FILLED);
        item.name = "grabcut/synthetic";
        std::mt19937 rng(1);
        const auto whole = makeSample(data, item, {64, false, false}, rng);
        const auto boxed = makeSample(data, item, {64, true, false}, rng);
        QCOMPARE(whole.rgb.size(), cv::Size(64, 64));
        QCOMPARE(boxed.target.size(), cv::Size(64, 64));
        const double wholeShare = cv::mean(whole.target)[0], boxedShare = cv::mean(boxed.target)[0];
        QVERIFY2(std::abs(wholeShare - 2000.0 / 32000.0) < 0.01, qPrintable(QString::number(wholeShare)));
        // 12% margins on each side: the object fills 1 / 1.24^2 of the crop.
        QVERIFY2(std::abs(boxedShare - 1.0 / (1.24 * 1.24)) < 0.05, qPrintable(QString::number(boxedShare)));
        QCOMPARE(boxCrop(cv::Rect(0, 0, 50, 50), 0.5, {60, 60}), cv::Rect(0, 0, 60, 60));  // clipped to the photo
    }

    void pastedSampleMarksThePastedObject_data() {
        QTest::addColumn<int>("seed");
        QTest::addColumn<bool>("inBox");
        for (const int seed : {1, 2, 3, 4, 5}) {
            QTest::newRow(qPrintable(QString("whole photo, seed %1").arg(seed))) << seed << false;
            QTest::newRow(qPrintable(QString("in a box, seed %1").arg(seed))) << seed << true;
        }
    }
    void pastedSampleMarksThePastedObject() {
        QFETCH(int, seed);
        QFETCH(bool, inBox);
        // A red object (its photo is green around it) pasted onto a blue photo.
        training::TrainingData data;
        cv::Mat objectPhoto(120, 100, CV_8UC3, cv::Scalar(0, 255, 0));
        cv::rectangle(objectPhoto, cv::Rect(30, 20, 40, 70), cv::Scalar(0, 0, 255), cv::FILLED);
        data.photos.push_back({objectPhoto, "synthetic:object"});
        data.photos.push_back({cv::Mat(160, 200, CV_8UC3, cv::Scalar(255, 0, 0)), "synthetic:background"});
        training::MaskedItem item;
        item.photo = 0;
        item.mask = cv::Mat::zeros(120, 100, CV_8UC1);
        cv::rectangle(item.mask, cv::Rect(30, 20, 40, 70), cv::Scalar(255), cv::FILLED);
        item.name = "grabcut/synthetic";
        std::mt19937 rng{std::uint32_t(seed)};
        const auto sample = makePastedSample(data, item, 1, {64, inBox, false}, rng);
        QCOMPARE(sample.rgb.size(), cv::Size(64, 64));
        QCOMPARE(sample.target.size(), cv::Size(64, 64));
        // Means, not every pixel: the photo is shrunk with area averaging, the target bilinearly.
        int object = 0, rest = 0;
        cv::Vec3d objectSum(0, 0, 0), restSum(0, 0, 0);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 64; ++x) {
                const cv::Vec3f rgb = sample.rgb.at<cv::Vec3f>(y, x);
                const float t = sample.target.at<float>(y, x);
                if (t > 0.95f) {
                    ++object;
                    objectSum += cv::Vec3d(rgb);
                } else if (t < 0.05f) {
                    ++rest;
                    restSum += cv::Vec3d(rgb);
                }
            }
        QVERIFY(object > 0);
        const cv::Vec3d objectMean = objectSum / object;
        QVERIFY2(objectMean[0] > 0.9 && objectMean[2] < 0.1, "the marked pixels are not the red object");
        if (rest > 0) {
            const cv::Vec3d restMean = restSum / rest;
            QVERIFY2(restMean[2] > 0.9 && restMean[0] < 0.1, "the unmarked pixels are not the blue photo");
        }
        // The object's 70 px side becomes 35-90 % of the background's 160 px: 56-144 px of 160 tall,
        // 32-82 of 200 wide, so 5.6-37 % of the photo; in a box it fills most of the crop.
        const double share = cv::mean(sample.target)[0];
        if (inBox) QVERIFY2(share > 0.4, qPrintable(QString::number(share)));
        else QVERIFY2(share > 0.04 && share < 0.40, qPrintable(QString::number(share)));
        QVERIFY(inBox || rest > 0);
    }

    void itemsAreSortedForTrainingAndReports_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("salient");
        QTest::addColumn<QString>("group");
        QTest::newRow("portrait") << "portraits/00012" << true << "portraits";
        QTest::newRow("COCO animal") << "coco_mval/giraffe03_000000123456" << true << "animals";
        QTest::newRow("COCO object") << "coco_mval/toilet01_000000123456" << true << "objects";
        QTest::newRow("DAVIS animal") << "davis2016/blackswan_00010" << true << "animals";
        QTest::newRow("SOD") << "sod/12" << true << "scenes";
        QTest::newRow("BSDS object mask") << "bsds500/12003_object" << true << "scenes";
        QTest::newRow("BSDS segments") << "bsds500/12003_3" << false << "scenes";
        QTest::newRow("L&E region") << "lalonde/0042" << false << "scenes";
    }
    void itemsAreSortedForTrainingAndReports() {
        QFETCH(QString, name);
        QFETCH(bool, salient);
        QFETCH(QString, group);
        training::MaskedItem item;
        item.name = name.toStdString();
        QCOMPARE(maskKindOf(item) == MaskKind::Salient, salient);
        QCOMPARE(QString::fromStdString(reportGroupOf(item)), group);
    }

    void smallCocoInstancesTeachOnlyTheBox_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<double>("maskShare");
        QTest::addColumn<double>("minInstanceShare");
        QTest::addColumn<bool>("teaches");
        QTest::newRow("COCO tie, 3 %, threshold 10 %") << "coco_mval/tie01_000000058705" << 0.03 << 0.10 << false;
        QTest::newRow("COCO laptop, 58 %, threshold 10 %") << "coco_mval/laptop06_000000076731" << 0.58 << 0.10 << true;
        QTest::newRow("COCO tie, 3 %, no threshold") << "coco_mval/tie01_000000058705" << 0.03 << 0.0 << true;
        QTest::newRow("small portrait is still a subject") << "portraits/00012" << 0.03 << 0.10 << true;
        QTest::newRow("small DAVIS object is still a subject") << "davis345/kite-walk_00010" << 0.03 << 0.10 << true;
        QTest::newRow("a region never is") << "lalonde/0042" << 0.5 << 0.0 << false;
    }
    void smallCocoInstancesTeachOnlyTheBox() {
        QFETCH(QString, name);
        QFETCH(double, maskShare);
        QFETCH(double, minInstanceShare);
        QFETCH(bool, teaches);
        training::MaskedItem item;
        item.name = name.toStdString();
        item.mask = cv::Mat::zeros(100, 100, CV_8UC1);
        item.mask.rowRange(0, int(std::lround(maskShare * 100))).setTo(255);
        QCOMPARE(teachesSelectSubject(item, minInstanceShare), teaches);
    }
};

QTEST_GUILESS_MAIN(TestSubjectNet)
#include "test_subject_net.moc"
