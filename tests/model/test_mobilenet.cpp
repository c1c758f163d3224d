// The MobileNetV2 backbone, the safetensors reader and the ImageNet import (no shared/ data:
// every weights file here is synthesised by the test, and the imported network is compared
// with a forward pass written out by hand from the published layout).
#include <QtTest>

#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"
#include "core/model/pretrained.h"
#include "core/model/safetensors.h"
#include "tests/model/mobilenet_reference.h"
#include "tests/model/random_model.h"
#include "tests/model/safetensors_writer.h"

using namespace hz;
namespace fs = std::filesystem;

namespace {

using test::kStages;
using test::publishedLikeWeights;
using test::referencePooled;

std::int64_t expectedParameterCount() {
    const auto convBn = [](std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t groups) {
        return in / groups * out * k * k + 2 * out;
    };
    std::int64_t count = 2 * convBn(4, 16, 3, 1);
    std::int64_t in = 32;
    for (const auto& stage : kStages)
        for (std::int64_t r = 0; r < stage.n; ++r) {
            const std::int64_t mid = in * stage.t;
            if (stage.t != 1) count += convBn(in, mid, 1, 1);
            count += convBn(mid, mid, 3, mid) + convBn(mid, stage.c, 1, 1);
            in = stage.c;
        }
    count += convBn(320, 1280, 1, 1);
    count += 2 * (1280 * 160 + 160) + 6 * (320 * 160 + 160) + 6 * (160 + 1);
    return count;
}

SafeTensors asLoaded(const std::map<std::string, torch::Tensor>& tensors) {
    SafeTensors file;
    file.tensors = tensors;
    return file;
}

double relativeError(const torch::Tensor& actual, const torch::Tensor& expected) {
    return (actual - expected).abs().max().item<double>() / std::max(1e-6, expected.abs().max().item<double>());
}

}  // namespace

class TestMobileNet : public QObject {
    Q_OBJECT

    fs::path dir_;

private Q_SLOTS:
    void initTestCase() {
        torch::set_num_threads(1);
        dir_ = fs::temp_directory_path() / ("hz_test_mobilenet_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void cleanupTestCase() { fs::remove_all(dir_); }

    void parameterCountAndShapes() {
        HarmonizerNet net = makeNetwork(Backbone::MobileNetV2);
        QCOMPARE(net->backbone(), Backbone::MobileNetV2);
        QCOMPARE(net->parameterCount(), expectedParameterCount());
        QCOMPARE(int(net->blocks.size()), 17);
        net->eval();
        torch::NoGradGuard noGrad;
        const auto features = net->features(torch::rand({2, 3, 224, 224}), torch::ones({2, 1, 224, 224}));
        QCOMPARE(features.sizes().vec(), (std::vector<std::int64_t>{2, 1280, 7, 7}));
        // No squeeze-and-excitation and no drop-connect by default.
        QVERIFY(net->blocks[3]->seReduce.is_empty());
        QCOMPARE(net->blocks.back()->dropConnectRate, 0.0);
    }

    void architectureNames() {
        QCOMPARE(parseArchitecture("mobilenet-v2"), Backbone::MobileNetV2);
        QCOMPARE(parseArchitecture(architectureName(Backbone::MobileNetV2)), Backbone::MobileNetV2);
        QCOMPARE(parseArchitecture(architectureName(Backbone::EfficientNetB0)), Backbone::EfficientNetB0);
        QVERIFY_THROWS_EXCEPTION(Error, parseArchitecture("resnet-50"));
    }

    void readerReadsWhatTheFormatSays() {
        const auto path = (dir_ / "ok.safetensors").string();
        const auto floats = torch::arange(12, torch::kFloat32).reshape({3, 4}) * 0.5;
        const auto longs = torch::tensor(std::vector<std::int64_t>{-3, 7, std::int64_t(1) << 40}, torch::kInt64);
        test::writeFile(path, test::safetensorsBytes(std::map<std::string, torch::Tensor>{{"a.weight", floats}, {"b", longs}}, {{"licence", "Apache-2.0"}}));
        const SafeTensors file = readSafeTensors(path);
        QCOMPARE(int(file.tensors.size()), 2);
        QVERIFY(torch::equal(file.tensors.at("a.weight"), floats));
        QVERIFY(torch::equal(file.tensors.at("b"), longs));
        QCOMPARE(file.metadata.at("licence"), std::string("Apache-2.0"));
    }

    void readerRefusesDamagedFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const std::string good = test::safetensorsBytes(std::map<std::string, torch::Tensor>{{"w", torch::ones({2, 2})}});
        const auto header = [](const std::string& json, std::size_t dataBytes) {
            std::string bytes(8, '\0');
            for (int i = 0; i < 8; ++i) bytes[std::size_t(i)] = char((json.size() >> (8 * i)) & 0xff);
            return QByteArray::fromStdString(bytes + json + std::string(dataBytes, '\0'));
        };
        QTest::newRow("empty") << QByteArray() << "too short";
        QTest::newRow("truncated data") << QByteArray::fromStdString(good.substr(0, good.size() - 4)) << "outside the file";
        QTest::newRow("header longer than the file") << QByteArray::fromStdString(std::string("\xff\xff\x00\x00\x00\x00\x00\x00", 8) + "{}")
                                                      << "does not fit";
        QTest::newRow("not JSON") << header("{\"w\": [", 0) << "unreadable header";
        QTest::newRow("unknown dtype") << header(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", 1) << "unsupported dtype";
        QTest::newRow("bytes do not match the shape") << header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)
                                                      << "bytes of data";
        QTest::newRow("negative dimension") << header(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4) << "invalid shape";
        QTest::newRow("overlapping tensors")
            << header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)
            << "overlap";
        QTest::newRow("no offsets") << header(R"({"w":{"dtype":"F32","shape":[1]}})", 4) << "data_offsets";
    }
    void readerRefusesDamagedFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const auto path = (dir_ / "bad.safetensors").string();
        test::writeFile(path, bytes.toStdString());
        try {
            readSafeTensors(path);
            QFAIL("a damaged file was accepted");
        } catch (const Error& error) {
            const QString message = QString::fromStdString(error.what());
            QVERIFY2(message.contains(expected), qPrintable(message));
            QVERIFY2(message.contains(QString::fromStdString(path)), "the message names the file");
        }
    }

    void importComputesThePublishedFunction() {
        const auto weights = publishedLikeWeights(11);
        HarmonizerNet net = makeNetwork(Backbone::MobileNetV2);
        importMobileNetV2(net, asLoaded(weights), "synthetic");
        net->eval();
        torch::NoGradGuard noGrad;
        const auto [image, mask] = test::imageLikeBatch(2, 96);
        const auto expected = referencePooled(weights, image);
        const auto actual = net->features(image, mask).mean({2, 3});
        const double error = relativeError(actual, expected);
        QVERIFY2(error < 1e-4, qPrintable(QString("relative error %1").arg(error)));
        QVERIFY(expected.abs().max().item<double>() > 0.1);  // something to compare
        // The mask input starts with zero weights: the backbone ignores the mask at first.
        QVERIFY(relativeError(net->features(image, 1 - mask).mean({2, 3}), expected) < 1e-4);
        // The folded inference copy computes the same.
        const FoldedHarmonizerNet folded(net, torch::kCPU, true);
        QVERIFY(relativeError(folded.forward(image, mask), net->forward(image, mask)) < 1e-4);
        // And the classifier on top gives probabilities.
        const auto classifier = imageNetClassifier(asLoaded(weights), "synthetic");
        const auto probabilities = classifier.probabilities(net, image);
        QCOMPARE(probabilities.sizes().vec(), (std::vector<std::int64_t>{2, 7}));
        const auto reference = torch::softmax(torch::linear(expected, weights.at("classifier.1.weight"), weights.at("classifier.1.bias")), 1);
        QVERIFY(relativeError(probabilities, reference) < 1e-4);
    }

    void importRefusesWrongWeights_data() {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing block tensor") << "drop features.7.conv.1.0.weight" << "missing";
        QTest::newRow("wrong head shape") << "reshape features.18.0.weight" << "shape";
        QTest::newRow("into an EfficientNet") << "b0" << "mobilenet-v2";
    }
    void importRefusesWrongWeights() {
        QFETCH(QString, change);
        QFETCH(QString, expected);
        auto weights = publishedLikeWeights(12);
        HarmonizerNet net = makeNetwork(change == "b0" ? Backbone::EfficientNetB0 : Backbone::MobileNetV2);
        if (change.startsWith("drop ")) weights.erase(change.mid(5).toStdString());
        if (change.startsWith("reshape ")) weights[change.mid(8).toStdString()] = torch::zeros({1280, 160, 1, 1});
        try {
            importMobileNetV2(net, asLoaded(weights), "synthetic");
            QFAIL("accepted");
        } catch (const Error& error) {
            QVERIFY2(QString(error.what()).contains(expected), error.what());
        }
    }

    void batchNormMatchedToThePretrainedFunction() {
        const auto weights = publishedLikeWeights(13);
        HarmonizerNet net = makeNetwork(Backbone::MobileNetV2);
        importMobileNetV2(net, asLoaded(weights), "synthetic");
        const auto [image, mask] = test::imageLikeBatch(8, 64);
        torch::NoGradGuard noGrad;
        net->eval();
        const auto before = net->features(image, mask).mean({2, 3});
        // Identity BatchNorm in training mode re-normalises every layer: far from the function.
        // (A copy: a training pass also moves the running statistics.)
        HarmonizerNet unmatched = makeNetwork(Backbone::MobileNetV2);
        importMobileNetV2(unmatched, asLoaded(weights), "synthetic");
        unmatched->train();
        QVERIFY(relativeError(unmatched->features(image, mask).mean({2, 3}), before) > 0.1);
        net->train();
        matchBatchNormToFunction(net, image, mask);
        QVERIFY(net->is_training());  // mode kept
        // Eval mode still computes the function; training mode on the same batch now does too.
        const auto training = net->features(image, mask).mean({2, 3});
        net->eval();
        const auto after = net->features(image, mask).mean({2, 3});
        QVERIFY2(relativeError(after, before) < 1e-4, qPrintable(QString::number(relativeError(after, before))));
        QVERIFY2(relativeError(training, before) < 1e-3, qPrintable(QString::number(relativeError(training, before))));
    }

    void modelFileKeepsTheArchitecture() {
        torch::manual_seed(4);
        HarmonizerNet mobile = makeNetwork(Backbone::MobileNetV2);
        const auto [image, mask] = test::imageLikeBatch(2, 64);
        recalibrateBatchNorm(mobile, image, mask);
        const auto path = (dir_ / "mobile.hzm").string();
        saveModel(path, mobile, {});
        QCOMPARE(readModelMetadata(path).architecture, Backbone::MobileNetV2);
        // Loading into an EfficientNet holder replaces it with a MobileNetV2 network.
        HarmonizerNet loaded;
        QCOMPARE(loaded->backbone(), Backbone::EfficientNetB0);
        const auto metadata = loadModel(path, loaded);
        QCOMPARE(metadata.architecture, Backbone::MobileNetV2);
        QCOMPARE(loaded->backbone(), Backbone::MobileNetV2);
        mobile->eval();
        loaded->eval();
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(loaded->forward(image, mask), mobile->forward(image, mask)));
        // A same-architecture load keeps the module (an optimizer built on it stays valid).
        HarmonizerNet sameArchitecture = makeNetwork(Backbone::MobileNetV2);
        const auto* module = sameArchitecture.get();
        loadModel(path, sameArchitecture);
        QCOMPARE(sameArchitecture.get(), module);
        // Older files without the field, and EfficientNet files, still load as EfficientNet.
        const auto b0Path = (dir_ / "b0.hzm").string();
        test::writeRandomModel(b0Path, 2);
        HarmonizerNet b0 = makeNetwork(Backbone::MobileNetV2);
        loadModel(b0Path, b0);
        QCOMPARE(b0->backbone(), Backbone::EfficientNetB0);
    }
};

QTEST_GUILESS_MAIN(TestMobileNet)
#include "test_mobilenet.moc"
