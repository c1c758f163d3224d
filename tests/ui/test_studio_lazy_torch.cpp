// harmonizer-studio loads LibTorch only with the network (issue 18): the real window, driven
// offscreen, in a test program that itself links no LibTorch (tests/ui/CMakeLists.txt), so
// /proc/self/maps tells what the editor loaded. The functions run in order: the process has
// no LibTorch until the last one harmonizes.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

#include "core/inference/engine_loader.h"
#include "core/params.h"
#include "ui/editor_document.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/params_panel.h"
#include "ui/preview_controller.h"
#include "ui/subject_selection.h"
#include "ui/subject_tools.h"

using namespace hz;
using namespace hz::ui;

namespace {

const QString kImage = QStringLiteral(HZ_TEST_DATA_DIR "/small_composite.png");
const QString kMask = QStringLiteral(HZ_TEST_DATA_DIR "/small_mask.png");
constexpr int kWait = 120000;

// The path of a mapped shared object whose file name starts with `name`, or empty.
QString mappedPath(const QString& name) {
    QFile maps("/proc/self/maps");
    if (!maps.open(QIODevice::ReadOnly)) qFatal("cannot read /proc/self/maps");
    for (const QByteArray& line : maps.readAll().split('\n')) {
        if (!line.contains('/')) continue;
        const QString path = QString::fromUtf8(line.mid(line.indexOf('/')));
        if (path.section('/', -1).startsWith(name)) return path;
    }
    return {};
}

bool isMapped(const QString& name) { return !mappedPath(name).isEmpty(); }

}  // namespace

class TestStudioLazyTorch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void editingLoadsNoTorch_data();
    void editingLoadsNoTorch();
    void missingLibraryIsOneLineError_data();
    void missingLibraryIsOneLineError();
    void harmonizeLoadsTorchAndMatchesCli();

private:
    bool waitForPreview();
    QTemporaryDir dir_;
    QString modelPath_;
    std::unique_ptr<MainWindow> window_;
};

void TestStudioLazyTorch::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(dir_.isValid());
    modelPath_ = qEnvironmentVariable("HZ_TEST_MODEL");
    QVERIFY2(QFile::exists(modelPath_), qPrintable("HZ_TEST_MODEL: no model at '" + modelPath_ + "'"));
    // The program's own libraries: had it linked LibTorch, the checks below would prove nothing.
    QVERIFY(!isMapped("libtorch"));
    QVERIFY(isMapped("libQt6Widgets"));  // the check reads the maps right
    QVERIFY(!inference::engineLoaded());
}

void TestStudioLazyTorch::init() {
    StudioOptions options;
    options.modelPath = modelPath_.toStdString();
    options.confirmClose = false;
    options.threads = 1;
    options.autoHarmonize = false;  // opening must not load the network
    window_ = std::make_unique<MainWindow>(options);
    window_->resize(900, 640);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QVERIFY2(window_->openImage(kImage, kMask), qPrintable(window_->lastError()));
    QVERIFY(waitForPreview());
}

void TestStudioLazyTorch::cleanup() {
    window_.reset();
    qunsetenv(inference::kEngineLibraryVariable);
}

bool TestStudioLazyTorch::waitForPreview() {
    PreviewController* preview = window_->preview();
    return QTest::qWaitFor(
        [&] {
            return preview->hasLevel() && preview->lastRequestedGeneration() > 0 &&
                   window_->canvas()->previewGeneration() >= preview->lastRequestedGeneration();
        },
        kWait);
}

void TestStudioLazyTorch::editingLoadsNoTorch_data() {
    QTest::addColumn<QString>("library");
    QTest::newRow("libtorch_cpu") << "libtorch_cpu";
    QTest::newRow("libtorch") << "libtorch.so";
    QTest::newRow("libc10") << "libc10";
}

void TestStudioLazyTorch::editingLoadsNoTorch() {
    QFETCH(QString, library);
    // Open (done in init), move a slider, paint, export: the whole editor without the network.
    QSlider* slider = window_->paramsPanel()->slider(Filter::Brightness);
    const quint64 before = window_->preview()->lastRequestedGeneration();
    slider->setValue(40);
    QVERIFY(window_->preview()->lastRequestedGeneration() > before);
    QVERIFY(waitForPreview());
    window_->invertMask();
    QVERIFY(waitForPreview());
    QSignalSpy exported(window_.get(), &MainWindow::exportFinished);
    QVERIFY(window_->startExport(dir_.filePath("edited.png")));
    QVERIFY(exported.wait(kWait));
    QCOMPARE(exported.first().first().toBool(), true);
    QVERIFY(QFile::exists(dir_.filePath("edited.png")));
    QVERIFY2(!isMapped(library), qPrintable(library + " is mapped before any network was asked for"));
    QVERIFY(!inference::engineLoaded());
}

void TestStudioLazyTorch::missingLibraryIsOneLineError_data() {
    QTest::addColumn<QString>("library");
    QTest::addColumn<bool>("selectSubject");
    const QString missing = dir_.filePath("no_such_dir/libhz_inference.so");
    const QString notElf = dir_.filePath("not_a_library.so");
    std::ofstream(notElf.toStdString()) << "this is not a shared object\n";
    // A real shared object, but not the module: Qt Test's own, already mapped.
    const QString otherLibrary = mappedPath("libQt6Test");
    QVERIFY(!otherLibrary.isEmpty());
    QTest::newRow("harmonize, missing file") << missing << false;
    QTest::newRow("harmonize, not a library") << notElf << false;
    QTest::newRow("harmonize, another library") << otherLibrary << false;
    QTest::newRow("select subject, missing file") << missing << true;
    QTest::newRow("select subject, not a library") << notElf << true;
}

void TestStudioLazyTorch::missingLibraryIsOneLineError() {
    QFETCH(QString, library);
    QFETCH(bool, selectSubject);
    qputenv(inference::kEngineLibraryVariable, library.toLocal8Bit());
    const FilterParams before = window_->document()->params();
    if (selectSubject) {
        SubjectSelection* selection = window_->subjectTools()->selection();
        QVERIFY(window_->subjectTools()->selectSubject());
        QVERIFY(QTest::qWaitFor([&] { return !selection->isBusy(); }, kWait));
        QVERIFY2(window_->lastError().startsWith("Select Subject failed: "), qPrintable(window_->lastError()));
    } else {
        QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
        window_->harmonize();
        QVERIFY(finished.count() == 1 || finished.wait(kWait));
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY2(window_->lastError().startsWith("Harmonize failed: "), qPrintable(window_->lastError()));
    }
    // One line, in the banner, naming the file it tried.
    const QString error = window_->lastError();
    QVERIFY2(error.contains("cannot load the network library " + library + ": "), qPrintable(error));
    QVERIFY2(!error.contains('\n'), qPrintable(error));
    QVERIFY(window_->findChild<QWidget*>("errorBanner")->isVisible());
    QVERIFY(window_->findChild<QLabel*>("errorText")->text().contains(library));
    QVERIFY(window_->document()->params() == before);
    // The editor keeps working: a slider, the mask, export.
    window_->paramsPanel()->slider(Filter::Contrast)->setValue(-30);
    QVERIFY(waitForPreview());
    QVERIFY(std::abs(window_->document()->params().contrast + 0.3) < 1e-9);
    window_->clearMask();
    window_->invertMask();
    QVERIFY(waitForPreview());
    QSignalSpy exported(window_.get(), &MainWindow::exportFinished);
    QVERIFY(window_->startExport(dir_.filePath("after_error.png")));
    QVERIFY(exported.wait(kWait));
    QCOMPARE(exported.first().first().toBool(), true);
    QVERIFY(!isMapped("libtorch"));
    QVERIFY(!inference::engineLoaded());
}

void TestStudioLazyTorch::harmonizeLoadsTorchAndMatchesCli() {
    QVERIFY(!isMapped("libtorch_cpu"));
    QSignalSpy finished(window_.get(), &MainWindow::harmonizeFinished);
    window_->harmonize();
    QVERIFY(finished.count() == 1 || finished.wait(kWait));
    QVERIFY2(finished.first().first().toBool(), qPrintable(window_->lastError()));
    QVERIFY(isMapped("libtorch_cpu"));
    QVERIFY(inference::engineLoaded());
    QVERIFY(inference::engineLoadMs() > 0.0);
    QVERIFY(window_->findChild<QLabel*>("deviceLabel")->text().contains("cpu"));

    // The same values as the CLI's predictor (6 decimals), which never goes through the module.
    QProcess cli;
    cli.start(HZ_TEST_CLI, {"predict", "--image", kImage, "--mask", kMask, "--model", modelPath_, "--threads", "1",
                            "--json"});
    QVERIFY(cli.waitForFinished(kWait));
    QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
    const QJsonObject expected = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    const FilterParams params = window_->document()->params();
    for (const auto& spec : filterSpecs()) {
        QVERIFY2(expected.contains(spec.key), spec.key);
        const double cliValue = expected.value(spec.key).toDouble();
        QVERIFY2(std::abs(params.*(spec.field) - cliValue) <= 5.1e-7,
                 qPrintable(QString("%1: editor %2, CLI %3").arg(spec.key).arg(params.*(spec.field)).arg(cliValue)));
    }
    QVERIFY(!params.isIdentity());
}

QTEST_MAIN(TestStudioLazyTorch)
#include "test_studio_lazy_torch.moc"
