// `harmonizer-cli pretrained-check`: proves that the ImageNet MobileNetV2 import is right by
// running the imported backbone and the published classifier on the check photos and
// comparing the top-1 class and probability with the expected list (shared/pretrained's
// check/expected.txt: "<file>\t<class index>\t<name>\t<probability>").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "app/cli/cli_common.h"
#include "core/image_io.h"
#include "core/model/pretrained.h"

namespace fs = std::filesystem;

namespace hz::cli {
namespace {

// BGR 8/16-bit -> [1,3,S,S] RGB in [0,1] (bilinear resize to S).
torch::Tensor toNetworkRgb(const cv::Mat& bgr, int side) {
    cv::Mat resized, rgb, floats;
    cv::resize(bgr, resized, {side, side}, 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(floats, CV_32F, bgr.depth() == CV_16U ? 1.0 / 65535.0 : 1.0 / 255.0);
    return torch::from_blob(floats.data, {side, side, 3}, torch::kFloat32).permute({2, 0, 1}).unsqueeze(0).clone();
}

int runPretrainedCheck(const std::vector<std::string>& args) {
    ArgParser parser("pretrained-check", "--weights FILE.safetensors --check-dir DIR [--tolerance P]",
                     "Loads ImageNet MobileNetV2 weights (torchvision names, BatchNorm folded) into the\n"
                     "MobileNetV2 backbone the way `train --pretrained` does, classifies every photo listed in\n"
                     "DIR/expected.txt with the file's classifier and compares the top-1 class and probability.\n"
                     "Exit 0 when every photo matches, 1 otherwise.");
    parser.addOption("weights", "FILE", "safetensors file (e.g. shared/pretrained/mobilenet_v2_imagenet/*.safetensors)");
    parser.addOption("check-dir", "DIR", "folder with expected.txt and the photos it lists");
    parser.addOption("tolerance", "P", "largest allowed probability difference, default 0.02");
    parser.addOption("size", "N", "input side, default 224");
    if (!parser.parse(args)) return 0;
    const std::string weightsPath = parser.value("weights");
    const fs::path checkDir = parser.value("check-dir");
    const double tolerance = parser.number("tolerance", 0.02, 0.0, 1.0);
    const int side = parser.integer("size", 224, 32, 1024);
    torch::set_num_threads(std::max(1u, std::thread::hardware_concurrency()));

    const SafeTensors weights = readSafeTensors(weightsPath);
    HarmonizerNet net = makeNetwork(Backbone::MobileNetV2);
    importMobileNetV2(net, weights, weightsPath);
    const ImageNetClassifier classifier = imageNetClassifier(weights, weightsPath);
    net->eval();

    const fs::path expectedPath = checkDir / "expected.txt";
    std::ifstream expected(expectedPath);
    if (!expected) throw Error(expectedPath.string() + ": cannot be opened for reading");
    std::string line;
    int checked = 0, failed = 0, lineNumber = 0;
    while (std::getline(expected, line)) {
        ++lineNumber;
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::stringstream split(line);
        for (std::string field; std::getline(split, field, '\t');) fields.push_back(field);
        if (fields.size() < 4)
            throw Error(expectedPath.string() + ":" + std::to_string(lineNumber) + ": expected '<file>\\t<class>\\t<name>\\t<probability>'");
        const int expectedClass = std::stoi(fields[1]);
        const double expectedProbability = std::stod(fields.back());
        const auto probabilities = classifier.probabilities(net, toNetworkRgb(loadImage((checkDir / fields[0]).string()).pixels, side));
        const auto top = probabilities.max(1);
        const int gotClass = int(std::get<1>(top).item<std::int64_t>());
        const double gotProbability = std::get<0>(top).item<double>();
        const bool ok = gotClass == expectedClass && std::abs(gotProbability - expectedProbability) <= tolerance;
        std::printf("%-20s expected %4d (%.3f)  got %4d (%.3f)  %s\n", fields[0].c_str(), expectedClass, expectedProbability,
                    gotClass, gotProbability, ok ? "ok" : "MISMATCH");
        ++checked;
        failed += ok ? 0 : 1;
    }
    if (checked == 0) throw Error(expectedPath.string() + ": lists no photo");
    std::printf("%d passed, %d failed\n", checked - failed, failed);
    return failed == 0 ? 0 : 1;
}

Registrar registrar{{"pretrained-check", "check an ImageNet MobileNetV2 import against expected classes", runPretrainedCheck}};

}  // namespace
}  // namespace hz::cli
