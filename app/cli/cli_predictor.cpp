// The ArgParser methods that read predictor options back. They need hz_model (and so
// LibTorch); keeping them out of cli_common.cpp lets the light launcher (light_main.cpp),
// which runs `apply` and `--version` without loading LibTorch, use the parser.
#include "app/cli/cli_common.h"

#include <cmath>

namespace hz::cli {

int ArgParser::views(int defaultViews) const {
    const int count = integer("views", defaultViews, 1, 8);
    if (!isValidViewCount(count)) throw UsageError("--views must be 1, 2, 4 or 8, got " + std::to_string(count));
    return count;
}

PredictorOptions ArgParser::predictorOptions(int defaultViews) const {
    PredictorOptions options;
    options.modelPath = optional("model").value_or("");
    options.device = parseDeviceChoice(optional("device").value_or("auto"));
    if (find("threads") != nullptr) options.threads = threads();
    options.views = views(defaultViews);
    return options;
}

std::vector<int> parseInputSizes(const std::string& option, const std::string& text) {
    std::vector<int> sizes;
    for (double value : parseNumberList(option, text)) {
        if (value != std::floor(value) || !isValidInputSize(int(value)))
            throw UsageError("--" + option + ": " + shortNumber(value) + " is not a whole number in 32-" + std::to_string(kMaxInputSize));
        sizes.push_back(int(value));
    }
    return sizes;
}

std::vector<int> parseExtraInputSizes(const std::string& option, const std::string& text) {
    return text == "none" ? std::vector<int>{} : parseInputSizes(option, text);
}

}  // namespace hz::cli
