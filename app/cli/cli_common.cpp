#include "cli_common.h"
#include "interrupt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "core/image_io.h"

namespace hz::cli {

std::vector<Command>& registry() {
    static std::vector<Command> commands;
    return commands;
}

ArgParser::ArgParser(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {}

void ArgParser::addOption(const std::string& name, const std::string& valueName, const std::string& help) {
    options_.push_back({name, valueName, help, true});
}

void ArgParser::addFlag(const std::string& name, const std::string& help) { options_.push_back({name, "", help, false}); }

void ArgParser::addFilterOptions() {
    for (const auto& spec : filterSpecs())
        addOption(spec.key, "X", std::string(spec.label) + " in [-1, 1], default 0: " + spec.description);
}

void ArgParser::addPredictorOptions(bool withThreads, int defaultViews) {
    addOption("model", "FILE", "model file (.hzm), default: the shipped model");
    addOption("device", "DEV", "auto (CUDA when available), cpu or cuda; default auto");
    if (withThreads)
        addOption("threads", "N", "CPU threads for the network, 1.." + std::to_string(maxThreads()) + " (the cores), default: every core");
    addViewsOption(defaultViews);
}

void ArgParser::addStripMetadataFlag() {
    addFlag("strip-metadata",
            "leave the input's EXIF, XMP and IPTC (camera, date, GPS...) out of the output; the ICC colour "
            "profile is kept, since the pixels are in its colours");
}

void ArgParser::addViewsOption(int defaultViews) {
    addOption("views", "N",
              "test-time views averaged per prediction: 1, 2, 4 or 8 (flips and transposes), default " +
                  std::to_string(defaultViews));
}

int runCommand(const Command& command, const std::vector<std::string>& args,
               const std::function<std::string(const std::exception&)>& oneLine) {
    installInterruptHandler(command.name.c_str());
    try {
        return command.run(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "harmonizer-cli %s: %s (see --help)\n", command.name.c_str(), e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "harmonizer-cli %s: error: %s\n", command.name.c_str(), oneLine(e).c_str());
        return 1;
    }
}

int maxThreads() { return int(std::max(1u, std::thread::hardware_concurrency())); }

int ArgParser::threads() const {
    // More threads than cores only adds contention (1024 threads took 500x longer).
    const int count = integer("threads", 0, 0, 1 << 20);
    if (count > maxThreads())
        throw UsageError("--threads " + std::to_string(count) + " is more than the " + std::to_string(maxThreads()) +
                         " cores of this machine");
    return count;
}

const ArgParser::Option* ArgParser::find(const std::string& name) const {
    for (const auto& option : options_)
        if (option.name == name) return &option;
    return nullptr;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(help().c_str(), stdout);
            return false;
        }
        if (arg == "-o") arg = "--output";
        if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
        std::string name = arg.substr(2);
        std::optional<std::string> inlineValue;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name == "max-megapixels") {
            // Every command reads images, so every command takes the limit.
            const std::string text = inlineValue ? *inlineValue : (i + 1 < args.size() ? args[++i] : "");
            std::size_t used = 0;
            double mp = 0;
            try {
                mp = std::stod(text, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || used != text.size() || !(mp > 0 && mp <= 1e6))
                throw UsageError("--max-megapixels expects a number of megapixels in (0, 1000000], got '" + text + "'");
            setMaxImagePixels(std::uint64_t(mp * 1e6));
            continue;
        }
        const Option* option = find(name);
        if (!option) throw UsageError("unknown option --" + name);
        if (!option->takesValue) {
            if (inlineValue) throw UsageError("--" + name + " takes no value");
            values_[name] = "1";
            continue;
        }
        if (inlineValue) {
            values_[name] = *inlineValue;
        } else {
            if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value (" + option->valueName + ")");
            values_[name] = args[++i];
        }
    }
    return true;
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) != 0; }

std::string ArgParser::value(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) throw UsageError("missing required option --" + name);
    return it->second;
}

std::optional<std::string> ArgParser::optional(const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

double ArgParser::number(const std::string& name, double fallback, double lo, double hi) const {
    const auto text = optional(name);
    if (!text) return fallback;
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(*text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text->size() || !std::isfinite(v)) throw UsageError("--" + name + " expects a number, got '" + *text + "'");
    if (v < lo || v > hi) {
        std::ostringstream message;
        message << "--" << name << " = " << *text << " is outside [" << lo << ", " << hi << "]";
        throw UsageError(message.str());
    }
    return v;
}

int ArgParser::integer(const std::string& name, int fallback, int lo, int hi) const {
    const double v = number(name, fallback, lo, hi);
    if (v != std::floor(v)) throw UsageError("--" + name + " expects a whole number");
    return int(v);
}

FilterParams ArgParser::filterParams() const {
    FilterParams params;
    for (const auto& spec : filterSpecs())
        params.*(spec.field) = number(spec.key, spec.defaultValue, spec.minValue, spec.maxValue);
    return params;
}

std::string ArgParser::help() const {
    std::ostringstream out;
    out << "Usage: harmonizer-cli " << command_ << " " << synopsis_ << "\n\n" << description_ << "\n\nOptions:\n";
    for (const auto& option : options_) {
        std::string left = "  --" + option.name + (option.takesValue ? " " + option.valueName : "");
        if (option.name == "output") left = "  -o, --output " + option.valueName;
        out << left;
        if (left.size() < 28) out << std::string(28 - left.size(), ' ');
        else out << "\n" << std::string(28, ' ');
        out << option.help << "\n";
    }
    out << "  --max-megapixels MP       refuse images over MP megapixels (read from the header, before decoding);\n"
           "                            default " << kDefaultMaxImagePixels / 1000000
        << ", or HARMONIZER_MAX_MEGAPIXELS\n";
    out << "  -h, --help                print this help\n";
    return out.str();
}

bool stderrIsTerminal() { return ::isatty(STDERR_FILENO) != 0; }

std::vector<std::string> takeRepeated(std::vector<std::string>& args, const std::string& name) {
    std::vector<std::string> values, rest;
    const std::string flag = "--" + name, prefix = flag + "=";
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == flag) {
            if (i + 1 >= args.size()) throw UsageError(flag + " needs a value");
            values.push_back(args[++i]);
        } else if (args[i].rfind(prefix, 0) == 0) {
            values.push_back(args[i].substr(prefix.size()));
        } else {
            rest.push_back(args[i]);
        }
    }
    args = rest;
    return values;
}

std::vector<std::pair<std::string, std::string>> compositeMaskPairs(const std::string& dirName) {
    namespace fs = std::filesystem;
    static const std::set<std::string> kImageExtensions{".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"};
    const fs::path dir(dirName), images = dir / "composite", masks = dir / "mask";
    std::error_code ec;
    if (!fs::is_directory(images, ec) || !fs::is_directory(masks, ec))
        throw Error(dir.string() + ": expected composite/ and mask/ folders");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(images))
        if (entry.is_regular_file() && kImageExtensions.count(lowerExtension(entry.path().string()))) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& file : files) {
        fs::path mask;
        for (const auto& entry : fs::directory_iterator(masks))
            if (entry.is_regular_file() && entry.path().stem() == file.stem()) mask = entry.path();
        if (mask.empty()) throw Error(file.string() + ": no mask " + file.stem().string() + ".* in " + masks.string());
        pairs.emplace_back(file.string(), mask.string());
    }
    return pairs;
}

std::string shortNumber(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

std::vector<double> parseNumberList(const std::string& option, const std::string& text) {
    std::vector<double> values;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != item.size()) throw UsageError("--" + option + ": '" + item + "' is not a number");
        values.push_back(value);
    }
    if (values.empty()) throw UsageError("--" + option + " needs at least one value");
    return values;
}

}  // namespace hz::cli
