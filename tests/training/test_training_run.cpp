// The trainer (tiny runs on a synthetic data folder, checkpoints, exact resume), the
// evaluation-set writer and the evaluator (on a synthetic iHarmony4-layout folder).
#include <QTemporaryDir>
#include <QtTest>

#include "tests/training/training_fixtures.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/image_io.h"
#include "core/model/model_file.h"
#include "core/model/network.h"
#include "core/training/average.h"
#include "core/training/calibrate.h"
#include "core/training/dataset.h"
#include "core/training/evalset.h"
#include "core/training/evaluator.h"
#include "core/training/head_trainer.h"
#include "core/training/test_scales.h"
#include "core/training/trainer.h"
#include "tests/model/random_model.h"

namespace fs = std::filesystem;
using namespace hz::training::fixtures;
using namespace hz::training;

namespace {

TrainOptions tinyOptions(const fs::path& data, const fs::path& run) {
    TrainOptions options;
    options.dataDirs = {data.string()};
    options.runDir = run.string();
    options.size = 32;
    options.batchSize = 4;
    options.steps = 4;
    options.threads = 1;
    options.valEvery = 2;
    options.checkpointEvery = 2;
    options.logEvery = 2;
    options.valPercent = 40;  // a few of the eight photos must land in validation
    options.warmupSteps = 1;
    return options;
}

std::string readAll(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Parameters and buffers of two model files, compared exactly.
bool sameWeights(const fs::path& a, const fs::path& b) {
    hz::HarmonizerNet first, second;
    hz::loadModel(a.string(), first);
    hz::loadModel(b.string(), second);
    const auto p = first->named_parameters(), q = second->named_parameters();
    for (const auto& item : p)
        if (!torch::equal(item.value(), q[item.key()])) return false;
    const auto bp = first->named_buffers(), bq = second->named_buffers();
    for (const auto& item : bp)
        if (!torch::equal(item.value(), bq[item.key()])) return false;
    return true;
}

int countLines(const std::string& text) { return int(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

class TestTrainingRun : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        data_ = writeGenericFolder(fs::path(tmp_.path().toStdString()) / "photos", 8, 40);
    }

    void learningRateScheduleSteps() {
        TrainOptions options;
        options.steps = 100;
        options.warmupSteps = 10;
        QCOMPARE(learningRateAt(options, 5), 0.5 * options.learningRate);
        QCOMPARE(learningRateAt(options, 50), options.learningRate);
        QVERIFY(std::abs(learningRateAt(options, 70) - 0.1 * options.learningRate) < 1e-12);
        QVERIFY(std::abs(learningRateAt(options, 90) - 0.01 * options.learningRate) < 1e-12);
        options.schedule = "cosine";
        QVERIFY(learningRateAt(options, 100) < 0.02 * options.learningRate);
    }

    void tinyRunWritesCheckpointsAndResumesExactly() {
        const fs::path straight = fs::path(tmp_.path().toStdString()) / "straight";
        const fs::path resumed = fs::path(tmp_.path().toStdString()) / "resumed";

        const TrainSummary whole = train(tinyOptions(data_, straight));
        QCOMPARE(whole.finalStep, 4);
        for (const char* file : {"checkpoint/state.json", "checkpoint/model.hzm", "checkpoint/optimizer.pt", "last.hzm",
                                 "best.hzm", "log.csv", "val_items.txt"})
            QVERIFY2(fs::exists(straight / file), file);
        const std::string log = readAll(straight / "log.csv");
        QVERIFY(log.rfind("step,lr,train_loss", 0) == 0);
        QCOMPARE(countLines(log), 3);  // header + validations at steps 2 and 4
        QVERIFY(readAll(straight / "checkpoint" / "state.json").find("\"step\": 4") != std::string::npos);

        // Same run in two parts: stop after step 2, then --resume to the end.
        TrainOptions first = tinyOptions(data_, resumed);
        first.stopAtStep = 2;
        const TrainSummary part = train(first);
        QVERIFY(part.stoppedEarly);
        QCOMPARE(part.finalStep, 2);
        TrainOptions second = tinyOptions(data_, resumed);
        second.resume = true;
        QCOMPARE(train(second).finalStep, 4);
        QCOMPARE(countLines(readAll(resumed / "log.csv")), 3);
        QVERIFY2(sameWeights(straight / "last.hzm", resumed / "last.hzm"), "a resumed run must equal an uninterrupted one");
    }

    // Four bytes changed in any checkpoint file: --resume refuses it naming the file, before
    // LibTorch parses anything (it segfaulted on a damaged optimizer.pt, or loaded it silently).
    void damagedCheckpointIsRefused_data() {
        QTest::addColumn<QString>("file");
        for (const char* file : {"optimizer.pt", "torch_rng.pt", "model.hzm", "state.json"}) QTest::newRow(file) << file;
    }
    void damagedCheckpointIsRefused() {
        QFETCH(QString, file);
        const fs::path root = fs::path(tmp_.path().toStdString());
        const fs::path pristine = root / "damage-pristine";
        if (!fs::exists(pristine / "checkpoint" / "manifest.json")) {
            TrainOptions first = tinyOptions(data_, pristine);
            first.stopAtStep = 2;
            train(first);
        }
        const fs::path run = root / ("damaged-" + file.toStdString());
        fs::remove_all(run);
        fs::copy(pristine, run, fs::copy_options::recursive);
        const fs::path target = run / "checkpoint" / file.toStdString();
        std::string bytes = readAll(target);
        QVERIFY(bytes.size() > 16);
        for (std::size_t i = 0; i < 4; ++i) bytes[bytes.size() / 2 + i] = char(~bytes[bytes.size() / 2 + i]);
        std::ofstream(target, std::ios::binary | std::ios::trunc) << bytes;
        TrainOptions second = tinyOptions(data_, run);
        second.resume = true;
        QString message;
        try {
            train(second);
        } catch (const hz::Error& e) {
            message = e.what();
        }
        QVERIFY2(message.contains("damaged checkpoint file"), qPrintable(message));
        QVERIFY2(message.contains(file), qPrintable(message));
    }

    void lossWeightsSteerTheRun() {
        // The spec's weights given explicitly reproduce the default run; an extra final-step
        // term on the six-filter half, or no transfer term, changes the weights it ends with.
        const fs::path root = fs::path(tmp_.path().toStdString());
        const auto run = [&](const char* name, double transferWeight, double sixFinalWeight) {
            TrainOptions options = tinyOptions(data_, root / name);
            options.steps = 2;
            options.valEvery = 0;
            options.transferWeight = transferWeight;
            options.sixFinalWeight = sixFinalWeight;
            train(options);
            return root / name / "last.hzm";
        };
        const fs::path spec = run("weights-default", 10.0, 0.0);
        QVERIFY(sameWeights(spec, run("weights-explicit", 10.0, 0.0)));
        QVERIFY(!sameWeights(spec, run("weights-six-final", 10.0, 10.0)));
        QVERIFY(!sameWeights(spec, run("weights-no-transfer", 0.0, 0.0)));
    }

    void resumeWithoutCheckpointIsAnError() {
        TrainOptions options = tinyOptions(data_, fs::path(tmp_.path().toStdString()) / "fresh");
        options.resume = true;
        QVERIFY_THROWS_EXCEPTION(hz::Error, train(options));
        options.resume = false;
        options.dataDirs = {(fs::path(tmp_.path().toStdString()) / "missing").string()};
        QVERIFY_THROWS_EXCEPTION(hz::Error, train(options));
    }

    void evalSetRoundTripsThroughTheEvaluator() {
        TrainingData data;
        loadFolder(data_.string(), LoadOptions{}, data);
        const auto items = splitItems(data, Split::All);
        const fs::path out = fs::path(tmp_.path().toStdString()) / "evalset" / "OurVal";
        QCOMPARE(writeEvalSet(data, items, items, Family::SixFilter, 7, out.string()), int(items.size()));
        QVERIFY(fs::exists(out / "OurVal_test.txt"));
        QCOMPARE(int(listIHarmony4(out.string(), "", "test").size()), int(items.size()));

        EvalOptions options;
        options.dataset = out.parent_path().string();
        options.size = 0;
        options.useModel = false;
        const EvalReport report = evaluate(options);
        QCOMPARE(int(report.rows.size()), int(items.size()));
        for (const auto& row : report.rows) {
            QVERIFY(row.unharmonized.fmse > 0);  // perturbed foreground
            // Only the foreground (a quarter of the photo) differs: MSE = fMSE / 4 up to the soft edge.
            QVERIFY(row.unharmonized.mse <= row.unharmonized.fmse * 0.3);
        }
        // Rewriting with the same seed gives identical composites.
        const fs::path again = fs::path(tmp_.path().toStdString()) / "evalset2" / "OurVal";
        writeEvalSet(data, items, items, Family::SixFilter, 7, again.string());
        const std::string name = fs::path(report.rows[0].composite).filename().string();
        QCOMPARE(cv::norm(cv::imread((out / "composite_images" / name).string()),
                          cv::imread((again / "composite_images" / name).string()), cv::NORM_INF),
                 0.0);
    }

    void calibrationPicksTheGainWithTheLowestFmse() {
        // A tiny trained model on a six-filter set of the fixture photos.
        const fs::path run = fs::path(tmp_.path().toStdString()) / "calibration_run";
        train(tinyOptions(data_, run));
        TrainingData data;
        loadFolder(data_.string(), LoadOptions{}, data);
        const auto items = splitItems(data, Split::All);
        const fs::path set = fs::path(tmp_.path().toStdString()) / "calibration_set" / "Calib";
        writeEvalSet(data, items, items, Family::SixFilter, 3, set.string());

        CalibrationOptions options;
        options.eval.dataset = set.string();
        options.eval.modelPath = (run / "best.hzm").string();
        options.eval.size = 64;
        options.eval.views = 2;
        options.eval.threads = 1;
        options.gains = {0.5, 1.0, 3.0};
        options.inputSizes = {64, 96};
        const CalibrationResult result = calibrateOutputGain(options);
        QCOMPARE(int(result.candidates.size()), 6);
        const auto best = std::min_element(result.candidates.begin(), result.candidates.end(),
                                           [](const auto& a, const auto& b) { return a.meanFmse < b.meanFmse; });
        QCOMPARE(result.bestGain, best->gain);
        QCOMPARE(result.bestInputSize, best->inputSize);
        QCOMPARE(result.candidates[5].inputSize, 96);
        QCOMPARE(result.candidates[5].gain, 3.0);
        QVERIFY2(result.candidates[0].meanFmse != result.candidates[2].meanFmse, "the gain must change the results");
        QVERIFY2(result.candidates[1].meanFmse != result.candidates[4].meanFmse, "the input size must change the results");
        // Each candidate's figure is what the evaluator reports with that gain and input size.
        EvalOptions check = options.eval;
        check.outputGain = 3.0;
        check.inputSize = 96;
        QCOMPARE(meanOf(evaluate(check).rows, Method::Result).fmse, result.candidates[5].meanFmse);

        const std::string calibrated = (run / "calibrated.hzm").string();
        writeCalibratedModel(options.eval.modelPath, result.bestGain, result.bestInputSize, calibrated);
        hz::HarmonizerNet net;
        const hz::ModelMetadata metadata = hz::loadModel(calibrated, net);
        QCOMPARE(metadata.outputGain, result.bestGain);
        QCOMPARE(metadata.inputSize, result.bestInputSize);
        // The file's own input size when none is asked for.
        writeCalibratedModel(calibrated, 1.0, 0, (run / "same_size.hzm").string());
        QCOMPARE(hz::loadModel((run / "same_size.hzm").string(), net).inputSize, result.bestInputSize);
        QCOMPARE(hz::loadModel((run / "same_size.hzm").string(), net).modelVersion, metadata.modelVersion);
        writeCalibratedModel(calibrated, 1.0, 0, (run / "renamed.hzm").string(), "test-version-2", "fine-tuned from x");
        const hz::ModelMetadata renamed = hz::loadModel((run / "renamed.hzm").string(), net);
        QCOMPARE(renamed.modelVersion, std::string("test-version-2"));
        QCOMPARE(renamed.trainingNotes, std::string("fine-tuned from x"));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeCalibratedModel(calibrated, 1.0, 0, calibrated));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeCalibratedModel(calibrated, 0.0, 0, (run / "zero.hzm").string()));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeCalibratedModel(calibrated, 1.0, 16, (run / "tiny.hzm").string()));
        options.inputSizes = {8};
        QVERIFY_THROWS_EXCEPTION(hz::Error, calibrateOutputGain(options));
    }

    void testScalesPickTheLowestScoreAndKeepTheHead() {
        const fs::path run = fs::path(tmp_.path().toStdString()) / "scales_run";
        train(tinyOptions(data_, run));
        TrainingData data;
        loadFolder(data_.string(), LoadOptions{}, data);
        const auto items = splitItems(data, Split::All);
        const fs::path sets = fs::path(tmp_.path().toStdString()) / "scales_sets";
        writeEvalSet(data, items, items, Family::SixFilter, 3, (sets / "A").string());
        writeEvalSet(data, items, items, Family::SixFilter, 4, (sets / "B").string());

        ScaleChoiceOptions options;
        options.eval.modelPath = (run / "best.hzm").string();
        options.eval.size = 64;
        options.eval.views = 2;
        options.eval.threads = 1;
        options.datasets = {(sets / "A").string(), (sets / "B").string()};
        options.candidates = {{}, {96}, {48, 96}};
        const ScaleChoice choice = chooseExtraInputSizes(options);
        QCOMPARE(int(choice.candidates.size()), 3);
        for (const auto& candidate : choice.candidates) {
            QCOMPARE(int(candidate.resultFmse.size()), 2);
            const double score = (candidate.resultFmse[0] / candidate.compositeFmse[0] +
                                  candidate.resultFmse[1] / candidate.compositeFmse[1]) / 2;
            QVERIFY(std::abs(candidate.score - score) < 1e-12);
            QVERIFY(choice.candidates[choice.best].score <= candidate.score);
        }
        QVERIFY2(choice.candidates[0].score != choice.candidates[1].score, "an extra side must change the results");
        // Each figure is what the evaluator reports with that list.
        EvalOptions check = options.eval;
        check.dataset = options.datasets[1];
        check.extraInputSizes = std::vector<int>{48, 96};
        QCOMPARE(meanOf(evaluate(check).rows, Method::Result).fmse, choice.candidates[2].resultFmse[1]);

        // The copy keeps the network, its metadata and its statistics head.
        hz::HarmonizerNet net;
        hz::ModelMetadata metadata = hz::loadModel(options.eval.modelPath, net);
        torch::manual_seed(5);
        hz::StatisticsHead head(8);
        metadata.statisticsHeadNotes = "test head";
        const std::string withHead = (run / "with_head.hzm").string();
        hz::saveModel(withHead, net, metadata, &head);
        const std::string scaled = (run / "scaled.hzm").string();
        writeModelWithExtraInputSizes(withHead, {96, 48}, scaled, "scaled-version");
        hz::HarmonizerNet loadedNet;
        hz::StatisticsHead loadedHead{nullptr};
        const hz::ModelMetadata back = hz::loadModel(scaled, loadedNet, &loadedHead);
        QCOMPARE(back.extraInputSizes, std::vector<int>({96, 48}));
        QCOMPARE(back.modelVersion, std::string("scaled-version"));
        QCOMPARE(back.inputSize, metadata.inputSize);
        QCOMPARE(back.statisticsHeadNotes, std::string("test head"));
        QVERIFY(!loadedHead.is_empty());
        const auto before = head->named_parameters(), after = loadedHead->named_parameters();
        QCOMPARE(after.size(), before.size());
        for (const auto& item : before) QVERIFY(torch::equal(item.value(), after[item.key()]));
        QCOMPARE(describeInputSizes(back.extraInputSizes), std::string("96,48"));
        QCOMPARE(describeInputSizes({}), std::string("none"));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeModelWithExtraInputSizes(scaled, {96}, scaled));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeModelWithExtraInputSizes(scaled, {8}, (run / "tiny.hzm").string()));
        options.candidates = {{8}};
        QVERIFY_THROWS_EXCEPTION(hz::Error, chooseExtraInputSizes(options));
        options.candidates = {};
        QVERIFY_THROWS_EXCEPTION(hz::Error, chooseExtraInputSizes(options));
    }

    void statisticsHeadTrainsOnTopOfTheNetworkAndReusesItsCache() {
        const fs::path run = fs::path(tmp_.path().toStdString()) / "head_run";
        train(tinyOptions(data_, run));
        HeadTrainingOptions options;
        options.dataDirs = {data_.string()};
        options.modelPath = (run / "best.hzm").string();
        options.outPath = (run / "with_head.hzm").string();
        options.cachePath = (run / "head_samples.pt").string();
        options.lutDir = writeLutFolder(run / "luts", 20).string();
        options.size = 32;
        options.samples = 48;
        options.valSamples = 16;
        options.views = 2;
        options.steps = 150;
        options.batch = 16;
        options.hidden = 16;
        options.lossSide = 16;
        options.lr = 1e-2;
        options.threads = 1;
        options.valPercent = 40;
        options.logEvery = 1000;
        std::vector<std::string> lines;
        const auto log = [&lines](const std::string& line) { lines.push_back(line); };
        const HeadTrainingReport first = trainStatisticsHead(options, log);
        QCOMPARE(first.trainSamples, 48);
        QVERIFY(first.sixFilter.count > 0 && first.other.count > 0);
        QCOMPARE(first.sixFilter.count + first.other.count, 16);
        // The other families are reported apart too (the LUT split leaves some grades for validation).
        QVERIFY2(first.transfer.count > 0 && first.lut.count > 0,
                 qPrintable(QString("transfer %1, LUT %2").arg(first.transfer.count).arg(first.lut.count)));
        QCOMPARE(first.transfer.count + first.lut.count, first.other.count);
        const double otherFromParts = (first.transfer.headFmse * first.transfer.count + first.lut.headFmse * first.lut.count) /
                                      first.other.count;
        QVERIFY(std::abs(otherFromParts - first.other.headFmse) < 1e-3 * (1.0 + first.other.headFmse));
        QVERIFY(fs::exists(options.cachePath));
        // Fitted to these samples, the head must render them closer to their real photos than
        // the network's values alone do.
        QVERIFY2(first.trainHeadFmse < first.trainNetworkFmse,
                 qPrintable(QString("head %1, network %2").arg(first.trainHeadFmse).arg(first.trainNetworkFmse)));
        QCOMPARE(first.headR2.size(), std::size_t(6));

        // The written file: the same network, plus the head, with its recipe in the metadata.
        QVERIFY(sameWeights(options.modelPath, options.outPath));
        hz::HarmonizerNet net;
        hz::StatisticsHead head{nullptr};
        const hz::ModelMetadata metadata = hz::loadModel(options.outPath, net, &head);
        QCOMPARE(metadata.statisticsHeadHidden, 16);
        QVERIFY(metadata.statisticsHeadNotes.find("48 generated samples") != std::string::npos);
        QVERIFY(!head.is_empty());
        QCOMPARE(head->featureSet(), hz::StatisticsFeatureSet::RegionsAndBoundary);

        // Again from the cache (no data needed) with the same seed: the same head, exactly.
        options.dataDirs.clear();
        options.outPath = (run / "with_head_again.hzm").string();
        lines.clear();
        trainStatisticsHead(options, log);
        QVERIFY(!lines.empty() && lines.front().find("from " + options.cachePath) != std::string::npos);
        hz::StatisticsHead again{nullptr};
        hz::loadModel(options.outPath, net, &again);
        const auto a = head->named_parameters(), b = again->named_parameters();
        for (const auto& item : a) QVERIFY2(torch::equal(item.value(), b[item.key()]), item.key().c_str());
        QVERIFY(torch::equal(head->featureMean, again->featureMean));

        // Another cache's training samples are added to the first one's.
        options.extraCaches = {options.cachePath};
        options.outPath = (run / "with_head_doubled.hzm").string();
        QCOMPARE(trainStatisticsHead(options, log).trainSamples, 96);
        options.extraCaches = {(run / "with_head.hzm").string()};
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(options, log));
        options.extraCaches.clear();

        // A LUT weight apart from the other families' changes what the head learns; a cache
        // written before samples recorded their family still trains (with one weight for both)
        // but refuses a separate LUT weight.
        HeadTrainingOptions lutWeighted = options;
        lutWeighted.lutWeight = 20.0;
        lutWeighted.outPath = (run / "with_head_lut_weighted.hzm").string();
        trainStatisticsHead(lutWeighted, log);
        hz::StatisticsHead weighted{nullptr};
        const hz::ModelMetadata weightedMetadata = hz::loadModel(lutWeighted.outPath, net, &weighted);
        QVERIFY(!torch::equal(weighted->parameters().front(), head->parameters().front()));
        QVERIFY(weightedMetadata.statisticsHeadNotes.find("LUT weight 20") != std::string::npos);
        std::vector<torch::Tensor> cached;
        torch::load(cached, options.cachePath);
        QCOMPARE(cached.size(), std::size_t(17));  // 8 training, 8 validation, the sides
        std::vector<torch::Tensor> old(cached.begin(), cached.begin() + 7);
        old.insert(old.end(), cached.begin() + 8, cached.begin() + 15);
        const std::string oldCache = (run / "head_samples_before_lut_flag.pt").string();
        torch::save(old, oldCache);
        HeadTrainingOptions fromOld = options;
        fromOld.cachePath = oldCache;
        fromOld.outPath = (run / "with_head_from_old_cache.hzm").string();
        const HeadTrainingReport oldReport = trainStatisticsHead(fromOld, log);
        QCOMPARE(oldReport.other.count, first.other.count);
        QCOMPARE(oldReport.lut.count, 0);
        hz::StatisticsHead fromOldHead{nullptr};
        hz::loadModel(fromOld.outPath, net, &fromOldHead);
        QVERIFY(torch::equal(fromOldHead->parameters().front(), head->parameters().front()));
        fromOld.lutWeight = 20.0;
        fromOld.outPath = (run / "never_lut_weighted.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(fromOld, log));
        QVERIFY(!fs::exists(fromOld.outPath));

        // A region-only head can be fitted to the same samples (the boundary cache's first
        // columns); a region-only cache cannot serve a boundary head, and is refused, not misread.
        HeadTrainingOptions regionsOnly = options;
        regionsOnly.featureSet = hz::StatisticsFeatureSet::Regions;
        regionsOnly.outPath = (run / "with_regions_head.hzm").string();
        QCOMPARE(trainStatisticsHead(regionsOnly, log).trainSamples, 48);
        hz::StatisticsHead regionsHead{nullptr};
        hz::loadModel(regionsOnly.outPath, net, &regionsHead);
        QCOMPARE(regionsHead->featureSet(), hz::StatisticsFeatureSet::Regions);
        QVERIFY(torch::allclose(regionsHead->featureMean, head->featureMean.narrow(0, 0, hz::kStatisticsFeatureCount), 1e-5, 1e-6));
        regionsOnly.dataDirs = {data_.string()};
        regionsOnly.cachePath = (run / "head_samples_regions.pt").string();
        regionsOnly.steps = 2;
        trainStatisticsHead(regionsOnly, log);
        HeadTrainingOptions boundaryFromRegions = options;
        boundaryFromRegions.cachePath = regionsOnly.cachePath;
        boundaryFromRegions.outPath = (run / "never_boundary.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(boundaryFromRegions, log));
        QVERIFY(!fs::exists(boundaryFromRegions.outPath));

        HeadTrainingOptions missing = options;
        missing.cachePath.clear();
        missing.dataDirs = {data_.string()};
        missing.modelPath = (run / "no_such_model.hzm").string();
        missing.outPath = (run / "never.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(missing, log));
        QVERIFY(!fs::exists(missing.outPath));
    }

    void statisticsHeadLearnsOnValuesAveragedOverItsSides() {
        const fs::path run = fs::path(tmp_.path().toStdString()) / "head_sides_run";
        fs::create_directories(run);
        // A random network whose values depend visibly on its input (a few training steps leave
        // them nearly constant), at a small input side.
        hz::ModelMetadata randomMetadata;
        randomMetadata.inputSize = 64;
        hz::HarmonizerNet randomNet = hz::test::makeRandomNet(5, 0.6);
        hz::saveModel((run / "random.hzm").string(), randomNet, randomMetadata);
        HeadTrainingOptions options;
        options.dataDirs = {data_.string()};
        options.modelPath = (run / "random.hzm").string();
        options.size = 32;
        options.samples = 32;
        options.valSamples = 16;
        options.views = 2;
        options.steps = 20;
        options.batch = 16;
        options.hidden = 8;
        options.lossSide = 16;
        options.threads = 1;
        options.valPercent = 40;
        options.logEvery = 1000;
        const auto log = [](const std::string&) {};
        hz::HarmonizerNet net;
        const int inputSize = hz::loadModel(options.modelPath, net).inputSize;
        const auto networkValuesIn = [](const std::string& cache) {
            std::vector<torch::Tensor> tensors;
            torch::load(tensors, cache);
            return std::make_pair(tensors[1], tensors.back());  // training samples' values, recorded sides
        };

        HeadTrainingOptions plain = options;  // the model file has no extra sides
        plain.cachePath = (run / "plain.pt").string();
        plain.outPath = (run / "plain.hzm").string();
        trainStatisticsHead(plain, log);
        HeadTrainingOptions doubled = options;  // the input side twice: the same mean
        doubled.extraInputSizes = std::vector<int>{inputSize};
        doubled.cachePath = (run / "doubled.pt").string();
        doubled.outPath = (run / "doubled.hzm").string();
        trainStatisticsHead(doubled, log);
        HeadTrainingOptions scaled = options;
        scaled.extraInputSizes = std::vector<int>{96};
        scaled.cachePath = (run / "scaled.pt").string();
        scaled.outPath = (run / "scaled.hzm").string();
        trainStatisticsHead(scaled, log);

        const auto [plainValues, plainSides] = networkValuesIn(plain.cachePath);
        const auto [doubledValues, doubledSides] = networkValuesIn(doubled.cachePath);
        const auto [scaledValues, scaledSides] = networkValuesIn(scaled.cachePath);
        QVERIFY(torch::equal(plainSides, torch::tensor({std::int64_t(inputSize)})));
        QVERIFY(torch::equal(scaledSides, torch::tensor({std::int64_t(inputSize), std::int64_t(96)})));
        // Same seed, same composites: only the averaged sides change the values.
        QVERIFY(torch::allclose(doubledValues, plainValues, 1e-5, 1e-6));
        QVERIFY(!torch::allclose(scaledValues, plainValues, 1e-3, 1e-4));

        // The written file carries the sides its head was fitted for, so the predictor feeds it
        // the same kind of values.
        const hz::ModelMetadata metadata = hz::loadModel(scaled.outPath, net);
        QVERIFY(metadata.extraInputSizes == std::vector<int>{96});
        QVERIFY(metadata.statisticsHeadNotes.find("sides " + std::to_string(inputSize) + ",96") != std::string::npos);

        // A cache serves only the sides it was made with; a cache from before the sides were
        // recorded counts as the input size alone.
        HeadTrainingOptions mismatch = scaled;
        mismatch.dataDirs.clear();
        mismatch.cachePath = plain.cachePath;
        mismatch.outPath = (run / "never_mismatch.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(mismatch, log));
        QVERIFY(!fs::exists(mismatch.outPath));
        mismatch.cachePath = scaled.cachePath;
        mismatch.extraCaches = {plain.cachePath};
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(mismatch, log));
        std::vector<torch::Tensor> unrecorded;
        torch::load(unrecorded, plain.cachePath);
        unrecorded.pop_back();
        const std::string oldCache = (run / "unrecorded.pt").string();
        torch::save(unrecorded, oldCache);
        HeadTrainingOptions fromOld = plain;
        fromOld.dataDirs.clear();
        fromOld.cachePath = oldCache;
        fromOld.outPath = (run / "from_unrecorded.hzm").string();
        QCOMPARE(trainStatisticsHead(fromOld, log).trainSamples, 32);
        fromOld.extraInputSizes = std::vector<int>{96};
        fromOld.outPath = (run / "never_from_unrecorded.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(fromOld, log));
        // The scaled file's own list is the default: its cache is reused without naming the sides.
        HeadTrainingOptions again = options;
        again.dataDirs.clear();
        again.modelPath = scaled.outPath;
        again.cachePath = scaled.cachePath;
        again.outPath = (run / "scaled_again.hzm").string();
        QCOMPARE(trainStatisticsHead(again, log).trainSamples, 32);
        scaled.extraInputSizes = std::vector<int>{8};
        scaled.outPath = (run / "never_tiny_side.hzm").string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, trainStatisticsHead(scaled, log));
    }

    void averagedModelIsTheWeightedMeanOfItsInputs() {
        const fs::path dir = fs::path(tmp_.path().toStdString()) / "average";
        fs::create_directories(dir);
        hz::ModelMetadata metadata;
        metadata.inputSize = 96;
        metadata.outputGain = 1.25;
        std::vector<std::string> paths;
        std::vector<hz::HarmonizerNet> nets;
        for (int seed : {5, 6}) {
            torch::manual_seed(seed);
            nets.emplace_back();
            {
                // Different BatchNorm statistics too, as after different training runs.
                torch::NoGradGuard noGrad;
                for (auto& buffer : nets.back()->buffers())
                    if (buffer.is_floating_point()) buffer.add_(torch::rand_like(buffer));
            }
            paths.push_back((dir / ("model" + std::to_string(seed) + ".hzm")).string());
            hz::saveModel(paths.back(), nets.back(), metadata);
            metadata.inputSize = 160;  // the second file's metadata must not be the one kept
        }
        const std::string out = (dir / "mean.hzm").string();
        writeAveragedModel(paths, {1.0, 3.0}, "soup-test", out);
        hz::HarmonizerNet mean;
        const hz::ModelMetadata back = hz::loadModel(out, mean);
        QCOMPARE(back.inputSize, 96);
        QCOMPARE(back.outputGain, 1.25);
        QCOMPARE(QString::fromStdString(back.modelVersion), QString("soup-test"));
        const auto a = nets[0]->named_parameters(), b = nets[1]->named_parameters(), m = mean->named_parameters();
        double worst = 0, spread = 0;
        for (const auto& item : m) {
            const auto expected = 0.25 * a[item.key()] + 0.75 * b[item.key()];
            worst = std::max(worst, (item.value() - expected).abs().max().item<double>());
            spread = std::max(spread, (a[item.key()] - b[item.key()]).abs().max().item<double>());
        }
        QVERIFY2(worst < 1e-6, qPrintable(QString("worst parameter error %1").arg(worst)));
        QVERIFY2(spread > 1e-2, "the two inputs must differ");
        const auto bufA = nets[0]->named_buffers(), bufB = nets[1]->named_buffers();
        int floatBuffers = 0;
        for (const auto& item : mean->named_buffers()) {
            if (!item.value().is_floating_point()) continue;
            const auto expected = 0.25 * bufA[item.key()] + 0.75 * bufB[item.key()];
            QVERIFY2((item.value() - expected).abs().max().item<double>() < 1e-5, item.key().c_str());
            ++floatBuffers;
        }
        QVERIFY(floatBuffers > 0);

        // --head-from: the result carries that file's head, with one network or a mean of several.
        torch::manual_seed(9);
        hz::StatisticsHead head(8);
        hz::ModelMetadata headMetadata = metadata;
        headMetadata.statisticsHeadNotes = "fitted on model5";
        const std::string headFile = (dir / "with_head.hzm").string();
        hz::saveModel(headFile, nets[0], headMetadata, &head);
        for (const bool single : {false, true}) {
            const std::string carried = (dir / (single ? "one_with_head.hzm" : "mean_with_head.hzm")).string();
            writeAveragedModel(single ? std::vector<std::string>{paths[1]} : paths, single ? std::vector<double>{} : std::vector<double>{1.0, 3.0},
                               "", carried, headFile);
            hz::HarmonizerNet net;
            hz::StatisticsHead loadedHead{nullptr};
            const hz::ModelMetadata carriedBack = hz::loadModel(carried, net, &loadedHead);
            QVERIFY(!loadedHead.is_empty());
            const auto before = head->named_parameters(), after = loadedHead->named_parameters();
            QCOMPARE(after.size(), before.size());
            for (const auto& item : before) QVERIFY(torch::equal(item.value(), after[item.key()]));
            QVERIFY(QString::fromStdString(carriedBack.statisticsHeadNotes).startsWith("fitted on model5"));
            // The network is the mean (or the single input), not the head file's network.
            const auto expectedNet = single ? nets[1]->named_parameters() : m;
            for (const auto& item : net->named_parameters())
                QVERIFY2((item.value() - expectedNet[item.key()]).abs().max().item<double>() < 1e-6, item.key().c_str());
        }
        // Without --head-from a head is dropped; a head file without a head is refused.
        hz::HarmonizerNet dropped;
        hz::StatisticsHead none{nullptr};
        writeAveragedModel({headFile, paths[1]}, {}, "", (dir / "dropped.hzm").string());
        hz::loadModel((dir / "dropped.hzm").string(), dropped, &none);
        QVERIFY(none.is_empty());
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel({paths[0]}, {}, "", (dir / "no_head.hzm").string(), paths[1]));
        QVERIFY(!fs::exists(dir / "no_head.hzm"));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel({paths[0]}, {}, "", headFile, headFile));

        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel({paths[0]}, {}, "", (dir / "one.hzm").string()));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel(paths, {1.0}, "", (dir / "count.hzm").string()));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel(paths, {1.0, -1.0}, "", (dir / "neg.hzm").string()));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel(paths, {0.0, 0.0}, "", (dir / "zero.hzm").string()));
        QVERIFY_THROWS_EXCEPTION(hz::Error, writeAveragedModel(paths, {}, "", paths[1]));
        QVERIFY(!fs::exists(dir / "count.hzm"));
    }

    void evaluatorReportsHandComputedCompositeFigures() {
        const fs::path subset = fs::path(tmp_.path().toStdString()) / "iharmony" / "HSynth";
        for (const char* sub : {"composite_images", "masks", "real_images"}) fs::create_directories(subset / sub);
        // Real photo: constant; mask: a 10x10 square in a 20x20 image (a quarter);
        // composite: real + delta inside the square.
        const int deltas[] = {10, 20};
        std::string list;
        for (int i = 0; i < 2; ++i) {
            const std::string name = "img_" + std::to_string(i);
            const cv::Mat real(20, 20, CV_8UC3, cv::Scalar(100, 110, 120));
            cv::Mat mask(20, 20, CV_8UC1, cv::Scalar(0));
            mask(cv::Rect(5, 5, 10, 10)).setTo(255);
            cv::Mat composite = real.clone();
            composite(cv::Rect(5, 5, 10, 10)) += cv::Scalar::all(deltas[i]);
            cv::imwrite((subset / "real_images" / (name + ".png")).string(), real);
            cv::imwrite((subset / "masks" / (name + "_1.png")).string(), mask);
            cv::imwrite((subset / "composite_images" / (name + "_1_1.png")).string(), composite);
            list += "HSynth/composite_images/" + name + "_1_1.png\n";  // relative to the dataset folder
        }
        std::ofstream(subset.parent_path() / "HSynth_test.txt") << list;

        // A model with random weights: the figures for "result" must exist and the background stay exact.
        const fs::path model = fs::path(tmp_.path().toStdString()) / "random.hzm";
        hz::HarmonizerNet net;
        hz::ModelMetadata metadata;
        metadata.inputSize = 32;
        for (const auto& spec : hz::filterSpecs()) metadata.filterOrder.push_back(spec.key);
        metadata.modelVersion = "test-random";
        hz::saveModel(model.string(), net, metadata);

        EvalOptions options;
        options.dataset = subset.parent_path().string();
        options.size = 0;
        options.modelPath = model.string();
        options.labBaseline = true;
        options.threads = 1;
        options.saveDir = (fs::path(tmp_.path().toStdString()) / "saved").string();
        const EvalReport report = evaluate(options);
        QCOMPARE(int(report.rows.size()), 2);
        for (int i = 0; i < 2; ++i) {
            const double d2 = double(deltas[i]) * deltas[i];
            QCOMPARE(report.rows[std::size_t(i)].unharmonized.fmse, d2);
            QCOMPARE(report.rows[std::size_t(i)].unharmonized.mse, d2 / 4);
            QVERIFY(std::abs(report.rows[std::size_t(i)].unharmonized.psnr - 10 * std::log10(65025.0 / (d2 / 4))) < 1e-9);
            // Background untouched: every error of the result lies in the foreground.
            const auto& result = report.rows[std::size_t(i)].result;
            QVERIFY(std::abs(result.mse - result.fmse / 4) < 1e-9);
        }
        QCOMPARE(meanOf(report.rows, Method::Composite).fmse, (100.0 + 400.0) / 2);
        int worse = 0;
        for (const auto& row : report.rows) worse += row.result.fmse > row.unharmonized.fmse ? 1 : 0;
        QCOMPARE(meanOf(report.rows, Method::Result).madeWorse, worse);
        QCOMPARE(meanOf(report.rows, Method::Composite).madeWorse, 0);
        QVERIFY(fs::exists(fs::path(options.saveDir) / "img_0_1_1.png"));
        QVERIFY(fs::exists(fs::path(options.saveDir) / "lab" / "img_1_1_1.png"));

        const std::string json = reportJson(report);
        for (const char* key : {"\"dataset\"", "\"size\": \"full\"", "\"count\": 2", "\"composite\"", "\"result\"",
                                "\"baseline_lab\"", "\"mse\"", "\"psnr\"", "\"fmse\": 250", "\"subsets\"", "\"HSynth\"",
                                "\"model_version\": \"test-random\""})
            QVERIFY2(json.find(key) != std::string::npos, key);
        const std::string csv = reportCsv(report);
        QVERIFY(csv.rfind("subset,composite,mse_composite,psnr_composite,fmse_composite,mse_result,psnr_result,fmse_result,"
                          "mse_lab,psnr_lab,fmse_lab,fg_pixels,temperature",
                          0) == 0);
        QCOMPARE(countLines(csv), 3);
        QVERIFY(csv.find(",100,") != std::string::npos);  // fMSE of the first composite

        // At 256x256 the composite figures are those of the resized images (bilinear).
        options.size = 256;
        options.saveDir.clear();
        const EvalReport resized = evaluate(options);
        QVERIFY(std::abs(resized.rows[0].unharmonized.fmse - 100.0) < 15.0);
    }

    // "made worse" counts the rows whose result fMSE is above the composite's; a tie is not worse.
    void madeWorseCountsHarmedForegrounds() {
        EvalReport report;
        report.options.useModel = true;
        const double composite[] = {100, 400, 50}, result[] = {150, 200, 50};
        for (int i = 0; i < 3; ++i) {
            EvalRow row;
            row.subset = "HSynth";
            row.unharmonized.fmse = composite[i];
            row.result.fmse = result[i];
            report.rows.push_back(row);
        }
        QCOMPARE(meanOf(report.rows, Method::Result).madeWorse, 1);
        QCOMPARE(meanOf(report.rows, Method::Composite).madeWorse, 0);
        const std::string json = reportJson(report);
        QVERIFY2(json.find("\"result\": {\"mse\": 0, \"psnr\": 0, \"fmse\": 133.333, \"worse\": 1}") != std::string::npos, json.c_str());
        QVERIFY2(json.find("\"composite\": {\"mse\": 0, \"psnr\": 0, \"fmse\": 183.333}") != std::string::npos, json.c_str());
        QVERIFY(reportText(report).find("made worse") != std::string::npos);
    }

    void evaluatorRejectsMissingFiles() {
        EvalOptions options;
        options.dataset = (fs::path(tmp_.path().toStdString()) / "nowhere").string();
        options.useModel = false;
        QVERIFY_THROWS_EXCEPTION(hz::Error, evaluate(options));
        const fs::path subset = fs::path(tmp_.path().toStdString()) / "broken" / "HBroken";
        fs::create_directories(subset / "composite_images");
        cv::imwrite((subset / "composite_images" / "x_1_1.png").string(), cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(1)));
        options.dataset = subset.string();
        QVERIFY_THROWS_EXCEPTION(hz::Error, evaluate(options));  // no mask, no real image
    }

private:
    QTemporaryDir tmp_;
    fs::path data_;
};

QTEST_GUILESS_MAIN(TestTrainingRun)
#include "test_training_run.moc"
