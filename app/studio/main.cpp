// harmonizer-studio: the interactive editor.
//   harmonizer-studio [IMAGE [MASK] | SESSION.hzsession]
//   harmonizer-studio --background BG [--foreground FG [--foreground-mask M]]   (compose mode)
//   harmonizer-studio --benchmark            (prints JSON timings of the real window)
//   harmonizer-studio --screenshot FILE ...  (saves a grab of the window once it shows a result)
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QIcon>
#include <QJsonDocument>
#include <QSettings>
#include <QTimer>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/image_io.h"
#include "core/model/predictor_options.h"
#include "core/paths.h"
#include "core/runtime.h"
#include "ui/editor_document.h"
#include "ui/event_wait.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/preview_controller.h"
#include "ui/studio_benchmark.h"
#include "ui/subject_selection.h"
#include "ui/subject_tools.h"

namespace {

using hz::ui::settle;
using hz::ui::waitFor;

int takeScreenshot(hz::ui::MainWindow& window, const QString& path, bool harmonize, const std::string& modelPath,
                   bool selectSubject) {
    auto* preview = window.preview();
    waitFor([&] { return !window.document()->hasImage() || window.canvas()->previewGeneration() > 0; }, 20000, 5);
    if (selectSubject && window.document()->hasImage()) {
        // Select Subject first, so that Harmonize (if asked for) works on the network's mask.
        hz::ui::SubjectSelection* selection = window.subjectTools()->selection();
        if (window.subjectTools()->selectSubject())
            waitFor([&] { return !selection->isBusy(); }, 120000, 5);
        if (!window.lastError().isEmpty())
            std::fprintf(stderr, "harmonizer-studio: note: %s\n", qPrintable(window.lastError()));
    }
    if (harmonize && !std::filesystem::exists(modelPath)) {
        std::fprintf(stderr, "harmonizer-studio: note: no model at %s; the screenshot shows the unharmonized sample\n",
                     modelPath.c_str());
        harmonize = false;
    }
    if (harmonize && window.document()->hasImage()) {
        bool done = false, ok = false;
        QObject::connect(&window, &hz::ui::MainWindow::harmonizeFinished, &window, [&](bool success) {
            done = true;
            ok = success;
        });
        window.harmonize();
        waitFor([&] { return done || !window.isHarmonizing(); }, 120000, 5);
        if (!ok) std::fprintf(stderr, "harmonizer-studio: note: %s\n", qPrintable(window.lastError()));
    }
    waitFor([&] { return preview->shownGeneration() >= preview->lastRequestedGeneration(); }, 20000, 5);
    settle(300);
    if (!window.grab().save(path)) {
        std::fprintf(stderr, "harmonizer-studio: error: cannot write %s\n", qPrintable(path));
        return 1;
    }
    return 0;
}

// The options, kept in one place so that --help works without a display.
struct CommandLine {
    QCommandLineParser parser;
    const QCommandLineOption model{"model", "model file (default: the shipped one)", "PATH"};
    const QCommandLineOption device{"device", "inference device: auto, cpu or cuda", "DEVICE", "auto"};
    const QCommandLineOption threads{"threads", "inference and export threads (0 = all cores but one)", "N", "0"};
    const QCommandLineOption benchmark{"benchmark", "measure preview latency and GUI stalls, print JSON, exit"};
    const QCommandLineOption samples{"bench-samples", "slider changes measured by --benchmark", "N", "60"};
    const QCommandLineOption screenshot{"screenshot", "save a grab of the window to FILE and exit", "FILE"};
    const QCommandLineOption harmonizeFirst{"harmonize", "with --screenshot: press Harmonize first"};
    const QCommandLineOption selectSubject{"select-subject", "with --screenshot: run Select Subject first"};
    const QCommandLineOption subjectModel{"subject-model", "Select Subject's model file (default: the shipped one)",
                                          "PATH"};
    const QCommandLineOption split{"split", "start in split before/after view"};
    const QCommandLineOption overlay{"overlay", "start with the mask overlay shown"};
    const QCommandLineOption background{"background", "start a composition on this background", "FILE"};
    const QCommandLineOption foreground{"foreground", "with --background: the foreground to place (alpha = mask)",
                                        "FILE"};
    const QCommandLineOption foregroundMask{"foreground-mask", "with --foreground: its mask, if it has no alpha",
                                            "FILE"};

    CommandLine() {
        parser.setApplicationDescription(
            "Harmonizer Studio: make a pasted foreground match its background, with six editable filter values.");
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addPositionalArgument("image", "composite image, or a .hzsession file", "[IMAGE | SESSION]");
        parser.addPositionalArgument("mask", "foreground mask of the same size", "[MASK]");
        parser.addOptions({model, subjectModel, device, threads, benchmark, samples, screenshot, harmonizeFirst,
                           selectSubject, split, overlay, background, foreground, foregroundMask});
    }
};

void nameApplication() {
    QCoreApplication::setOrganizationName("HarmonizerStudio");
    QCoreApplication::setApplicationName("harmonizer-studio");
    QCoreApplication::setApplicationVersion(QString::fromStdString(hz::versionString()));
}

bool hasArgument(int argc, char** argv, std::initializer_list<const char*> names) {
    for (int i = 1; i < argc; ++i)
        for (const char* name : names)
            if (std::strcmp(argv[i], name) == 0) return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    // Help and version run no network: no need to re-execute for the OpenMP policy first.
    if (hasArgument(argc, argv, {"-h", "--help", "--help-all", "-v", "--version"})) {
        QCoreApplication core(argc, argv);  // no display needed to print help
        nameApplication();
        CommandLine commandLine;
        commandLine.parser.process(core);
        return 0;
    }
    // Even before LibTorch is loaded, libgomp is (Qt Core needs libb2, which needs it) and has
    // read its policy: the re-exec stays, cheaper now that the first start loads no LibTorch.
    hz::relaunchWithPassiveOpenMpWait(argc, argv);
    // The benchmark drives the window without showing it to anyone.
    if (hasArgument(argc, argv, {"--benchmark"}) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    nameApplication();
    QApplication::setDesktopFileName("studio.harmonizer.HarmonizerStudio");
    const QString icon =
        QString::fromStdString(hz::shareDir()) + "/resources/icons/studio.harmonizer.HarmonizerStudio-256.png";
    if (QFileInfo::exists(icon)) QApplication::setWindowIcon(QIcon(icon));

    CommandLine commandLine;
    QCommandLineParser& parser = commandLine.parser;
    const CommandLine& cl = commandLine;
    parser.process(app);

    if (parser.isSet(cl.benchmark)) {
        hz::ui::BenchmarkOptions options;
        options.modelPath = parser.value(cl.model);
        options.sliderSamples = std::max(5, parser.value(cl.samples).toInt());
        const QJsonObject figures = hz::ui::runStudioBenchmark(options);
        std::printf("%s\n", QJsonDocument(figures).toJson(QJsonDocument::Indented).constData());
        return figures.contains("error") ? 1 : 0;
    }

    hz::ui::StudioOptions options;
    options.modelPath = parser.value(cl.model).toStdString();
    options.subjectModelPath = parser.value(cl.subjectModel).toStdString();
    options.threads = std::max(0, parser.value(cl.threads).toInt());
    try {
        hz::parseDeviceChoice(parser.value(cl.device).toStdString());  // reject a typo now, not at Harmonize
        if (parser.isSet(cl.device)) options.device = parser.value(cl.device).toStdString();  // else the preferences'

    } catch (const std::exception& e) {
        std::fprintf(stderr, "harmonizer-studio: error: %s\n", e.what());
        return 2;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 2) {
        std::fprintf(stderr, "harmonizer-studio: error: at most an image and a mask\n");
        return 2;
    }

    // --screenshot --harmonize decides itself whether the picture shows a prediction.
    if (parser.isSet(cl.screenshot)) options.autoHarmonize = false;
    hz::ui::MainWindow window(options);
    if (parser.isSet(cl.screenshot)) window.resize(1480, 900);
    window.show();

    if (parser.isSet(cl.background)) {
        if (window.newComposition(parser.value(cl.background)) && parser.isSet(cl.foreground))
            window.addForeground(parser.value(cl.foreground), parser.value(cl.foregroundMask));
    } else if (!positional.isEmpty()) {
        const QString first = positional[0];
        const QString suffix = QFileInfo(first).suffix().toLower();
        if (suffix == "hzsession" || suffix == "json")
            window.openSession(first);
        else
            window.openImage(first, positional.size() > 1 ? positional[1] : QString());
    } else {
        // The first start shows the bundled sample, so there is something to try at once.
        QSettings settings;
        if (parser.isSet(cl.screenshot) || !settings.value("sampleShown", false).toBool()) {
            window.openSample();
            settings.setValue("sampleShown", true);
        }
    }
    if (parser.isSet(cl.split)) window.setSplitView(true);
    if (parser.isSet(cl.overlay)) window.setOverlayVisible(true);

    if (parser.isSet(cl.screenshot)) return takeScreenshot(window, parser.value(cl.screenshot), parser.isSet(cl.harmonizeFirst),
                              options.modelPath.empty() ? hz::defaultModelPath() : options.modelPath,
                              parser.isSet(cl.selectSubject));
    return app.exec();
}
