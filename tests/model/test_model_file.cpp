// The .hzm weights file: round trip, and every way a file can be wrong gives an hz::Error
// naming the file (never a crash), leaving the network untouched.
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "tests/model/random_model.h"

using namespace hz;

namespace {

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::uint64_t fnv1a64(const std::string& bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) hash = (hash ^ c) * 0x100000001b3ull;
    return hash;
}

template <typename T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

// An independent writer following the layout documented in model_file.h, so the tests can
// build files with chosen defects (and check the documentation at the same time).
std::string encodeModel(const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                        const std::string& metadataJson, std::uint32_t version = 1) {
    std::string body("HZMODEL\0", 8);
    put<std::uint32_t>(body, version);
    put<std::uint32_t>(body, 0);
    put<std::uint64_t>(body, 0);  // total length, patched
    put<std::uint64_t>(body, metadataJson.size());
    body += metadataJson;
    put<std::uint32_t>(body, std::uint32_t(tensors.size()));
    for (const auto& [name, value] : tensors) {
        const auto tensor = value.contiguous();
        put<std::uint16_t>(body, std::uint16_t(name.size()));
        body += name;
        put<std::uint8_t>(body, tensor.scalar_type() == torch::kInt64 ? 2 : 1);
        put<std::uint8_t>(body, std::uint8_t(tensor.dim()));
        for (auto size : tensor.sizes()) put<std::int64_t>(body, size);
        body.append(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());
    }
    const std::uint64_t total = body.size() + 8;
    std::memcpy(&body[16], &total, 8);
    put<std::uint64_t>(body, fnv1a64(body));
    return body;
}

const std::string kGoodMetadata =
    R"({"format_version": 1, "input_size": 256, "model_version": "t", "training_notes": "",)"
    R"( "filter_order": ["temperature", "brightness", "contrast", "saturation", "highlight", "shadow"]})";

std::vector<std::pair<std::string, torch::Tensor>> stateOf(HarmonizerNet& net) {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : net->named_parameters()) state.emplace_back(item.key(), item.value().detach().clone());
    for (const auto& item : net->named_buffers()) state.emplace_back(item.key(), item.value().detach().clone());
    return state;
}

}  // namespace

class TestModelFile : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    HarmonizerNet original_{nullptr};
    std::string goodPath_;
    std::string goodBytes_;

    std::string path(const char* name) const { return dir_.filePath(name).toStdString(); }

    // The error message of loading `file` into a fresh network, which must stay unchanged.
    QString loadError(const std::string& file) {
        torch::manual_seed(1);
        HarmonizerNet net;
        const auto before = stateOf(net);
        QString message;
        try {
            loadModel(file, net);
            return QString();
        } catch (const Error& e) {
            message = e.what();
        }
        const auto after = stateOf(net);
        for (std::size_t i = 0; i < before.size(); ++i)
            if (!torch::equal(before[i].second, after[i].second)) return "network modified by a failed load";
        return message;
    }

private Q_SLOTS:
    void initTestCase() {
        // One thread: with two, OpenMP workers spinning against a parallel ctest make every pass many times slower.
        torch::set_num_threads(1);
        QVERIFY(dir_.isValid());
        goodPath_ = path("good.hzm");
        original_ = test::makeRandomNet(11);
        ModelMetadata metadata;
        metadata.modelVersion = "random-11";
        metadata.trainingNotes = "untrained: random initialisation for tests";
        saveModel(goodPath_, original_, metadata);
        goodBytes_ = readBytes(goodPath_);
        QVERIFY(goodBytes_.size() > 4'700'000 * 4);  // every float32 parameter plus BN statistics
    }

    void roundTripGivesIdenticalOutputs() {
        auto& original = original_;
        torch::manual_seed(99);
        HarmonizerNet loaded;  // different random weights until loaded
        const auto metadata = loadModel(goodPath_, loaded);
        loaded->eval();
        const auto [image, mask] = test::imageLikeBatch(2, 256);
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(original->forward(image, mask), loaded->forward(image, mask)));
        // BatchNorm running statistics are part of the file.
        for (const auto& item : original->named_buffers())
            QVERIFY2(torch::equal(item.value(), loaded->named_buffers()[item.key()]), item.key().c_str());
        QCOMPARE(metadata.formatVersion, 1);
        QCOMPARE(metadata.inputSize, 256);
        QCOMPARE(metadata.modelVersion, std::string("random-11"));
        QCOMPARE(metadata.trainingNotes, std::string("untrained: random initialisation for tests"));
        QCOMPARE(metadata.filterOrder, restoreOrderKeys());
        QCOMPARE(metadata.outputGain, 1.0);
    }

    void metadataRoundTrip() {
        torch::manual_seed(12);
        HarmonizerNet net;
        ModelMetadata metadata;
        metadata.inputSize = 192;
        metadata.modelVersion = "2026.11-scratch-1";
        metadata.trainingNotes = "line one\nline \"two\" é";
        metadata.outputGain = 1.25;
        const auto file = path("meta.hzm");
        saveModel(file, net, metadata);
        HarmonizerNet loaded;
        const auto back = loadModel(file, loaded);
        QCOMPARE(back.inputSize, 192);
        QCOMPARE(back.modelVersion, metadata.modelVersion);
        QCOMPARE(back.trainingNotes, metadata.trainingNotes);
        QCOMPARE(back.outputGain, 1.25);
        QVERIFY(back.extraInputSizes.empty());  // none unless stored
        metadata.extraInputSizes = {224, 288};
        saveModel(file, net, metadata);
        QCOMPARE(loadModel(file, loaded).extraInputSizes, std::vector<int>({224, 288}));
        metadata.extraInputSizes = {16};
        QVERIFY_THROWS_EXCEPTION(hz::Error, saveModel(path("tiny_extra.hzm"), net, metadata));
        metadata.extraInputSizes.clear();
        metadata.outputGain = 0.0;
        QVERIFY_THROWS_EXCEPTION(hz::Error, saveModel(path("zero_gain.hzm"), net, metadata));
    }

    void independentWriterProducesALoadableFile() {
        // Checks that the layout documented in model_file.h is the one the loader reads.
        torch::manual_seed(13);
        HarmonizerNet net;
        const auto file = path("independent.hzm");
        writeBytes(file, encodeModel(stateOf(net), kGoodMetadata));
        QCOMPARE(loadError(file), QString());
    }

    void badFiles_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");  // empty = do not create the file
        QTest::addColumn<QString>("expected");  // regular expression on the message
        const auto bytes = [](const std::string& s) { return QByteArray(s.data(), qsizetype(s.size())); };
        const std::string& good = goodBytes_;

        QTest::newRow("missing file") << "missing.hzm" << QByteArray() << "does not exist";
        QTest::newRow("empty file") << "empty.hzm" << QByteArray("", 0) << "not a Harmonizer model file";
        QTest::newRow("a PNG") << "image.hzm" << QByteArray("\x89PNG\r\n\x1a\n0000000000000000000000000000", 36)
                               << "not a Harmonizer model file";
        QTest::newRow("header only") << "header.hzm" << bytes(good.substr(0, 20)) << "truncated";
        QTest::newRow("cut in the metadata") << "cut_meta.hzm" << bytes(good.substr(0, 100)) << "truncated";
        QTest::newRow("cut in the tensors") << "cut_tensors.hzm" << bytes(good.substr(0, good.size() / 2)) << "truncated";
        QTest::newRow("last byte missing") << "cut_end.hzm" << bytes(good.substr(0, good.size() - 1)) << "truncated";
        QTest::newRow("trailing bytes") << "long.hzm" << bytes(good + "xx") << "longer than recorded";
        std::string flipped = good;
        flipped[good.size() / 2] ^= 0x40;
        QTest::newRow("a flipped bit") << "flipped.hzm" << bytes(flipped) << "checksum";
        std::string version = good;
        version[8] = 7;
        QTest::newRow("future version") << "version.hzm" << bytes(version) << "format version 7";

        torch::manual_seed(14);
        HarmonizerNet net;
        auto state = stateOf(net);
        auto missing = state;
        missing.erase(missing.begin() + 5);
        QTest::newRow("missing tensor") << "missing_tensor.hzm" << bytes(encodeModel(missing, kGoodMetadata))
                                        << "tensor '.*' is missing";
        auto extra = state;
        extra.emplace_back("blocks.16.project.conv.weight", torch::zeros({4, 4, 1, 1}));
        QTest::newRow("unexpected tensor") << "extra_tensor.hzm" << bytes(encodeModel(extra, kGoodMetadata))
                                           << "unexpected tensor 'blocks.16.project.conv.weight'";
        auto reshaped = state;
        reshaped[0].second = torch::zeros({16, 3, 3, 3});  // a 3-channel stem
        QTest::newRow("wrong shape") << "shape.hzm" << bytes(encodeModel(reshaped, kGoodMetadata))
                                     << "has shape \\[16, 3, 3, 3\\], expected \\[16, 4, 3, 3\\]";
        auto retyped = state;
        retyped[0].second = retyped[0].second.to(torch::kInt64);
        QTest::newRow("wrong type") << "type.hzm" << bytes(encodeModel(retyped, kGoodMetadata)) << "wrong type";
        std::string reordered = kGoodMetadata;
        reordered.replace(reordered.find("\"highlight\", \"shadow\""), 21, "\"shadow\", \"highlight\"");
        QTest::newRow("other filter order") << "order.hzm" << bytes(encodeModel(state, reordered))
                                            << "order \\[.*shadow,highlight\\]";
        QTest::newRow("metadata not JSON") << "json.hzm" << bytes(encodeModel(state, "{not json")) << "metadata";
        QTest::newRow("absurd input size") << "size.hzm"
                                           << bytes(encodeModel(state, R"({"input_size": 3, "filter_order": []})"))
                                           << "input size 3";
        // 4096 would need over 10 GB of activations: bounded at kMaxInputSize.
        QTest::newRow("input size 4096") << "size4096.hzm"
                                         << bytes(encodeModel(state, R"({"input_size": 4096, "filter_order": []})"))
                                         << "input size 4096 \\(expected 32..1024\\)";
        QTest::newRow("device, not a file") << "/dev/zero" << QByteArray() << "not a regular file";
        std::string negativeGain = kGoodMetadata;
        negativeGain.replace(negativeGain.find("\"training_notes\""), 0, "\"output_gain\": -1, ");
        std::string badExtraSize = kGoodMetadata;
        badExtraSize.replace(badExtraSize.find("\"training_notes\""), 0, "\"extra_input_sizes\": [224, 2000], ");
        QTest::newRow("extra input size 2000") << "extra.hzm" << bytes(encodeModel(state, badExtraSize))
                                               << "invalid extra input size";
        QTest::newRow("negative output gain") << "gain.hzm" << bytes(encodeModel(state, negativeGain))
                                              << "invalid output gain";
    }
    void badFiles() {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const auto file = name.startsWith("/") ? name.toStdString() : path(qPrintable(name));
        if (!bytes.isNull()) writeBytes(file, bytes.toStdString());
        const QString message = loadError(file);
        QVERIFY2(!message.isEmpty(), "loading must fail");
        QVERIFY2(message.contains(QString::fromStdString(file)), qPrintable("no path in: " + message));
        QVERIFY2(message.contains(QRegularExpression(expected)), qPrintable(message));
    }

    void folderIsNotAModel() {
        const QString message = loadError(dir_.path().toStdString());
        QVERIFY2(message.contains("folder"), qPrintable(message));
    }

    void inputSidesAreChecked_data() {
        QTest::addColumn<QList<int>>("sides");
        QTest::addColumn<QString>("expected");  // empty: accepted
        QTest::newRow("bounds") << QList<int>{32, 1024} << QString();
        QTest::newRow("none") << QList<int>{} << QString();
        QTest::newRow("too small, first bad side named") << QList<int>{256, 16, 8} << "train-head: network input size must be 32 to 1024, got 16";
        QTest::newRow("too large") << QList<int>{1025} << "train-head: network input size must be 32 to 1024, got 1025";
    }
    void inputSidesAreChecked() {
        QFETCH(QList<int>, sides);
        QFETCH(QString, expected);
        QString message;
        try {
            checkInputSides(std::vector<int>(sides.begin(), sides.end()), "train-head: ");
        } catch (const Error& e) {
            message = QString::fromStdString(e.what());
        }
        QCOMPARE(message, expected);
    }

    void saveIsAtomicAndReportsBadFolders() {
        torch::manual_seed(15);
        HarmonizerNet net;
        const auto file = path("no/such/dir/model.hzm");
        QVERIFY_THROWS_EXCEPTION(Error, saveModel(file, net, {}));
        QVERIFY(!QFile::exists(QString::fromStdString(file)));
    }
};

QTEST_GUILESS_MAIN(TestModelFile)
#include "test_model_file.moc"
