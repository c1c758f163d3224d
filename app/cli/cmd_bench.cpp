#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <torch/torch.h>

#include "app/cli/bench.h"
#include "app/cli/cli_common.h"

namespace hz::cli {

std::vector<BenchSection>& benchSections() {
    static std::vector<BenchSection> sections;
    return sections;
}

double medianMs(int repetitions, const std::function<void()>& fn) {
    fn();
    std::vector<double> times;
    for (int i = 0; i < std::max(1, repetitions); ++i) {
        const auto start = std::chrono::steady_clock::now();
        fn();
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

namespace {

std::string jsonEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        out += c;
    }
    return out;
}

int runBench(const std::vector<std::string>& args) {
    ArgParser parser("bench", "[--json] [--only SECTION] [--repetitions N] [--quick]",
                     "Measures rendering, inference and video throughput on this machine and prints the figures.\n"
                     "Each figure is a median; reference figures (memory copy floor) are measured in the same run.");
    parser.addFlag("json", "print one JSON object instead of a table");
    parser.addOption("only", "SECTION", "run only this section (repeatable by comma: render,model,video)");
    parser.addOption("repetitions", "N", "timed runs per figure (median reported), default 7");
    parser.addFlag("quick", "small inputs and few repetitions (for testing the command itself)");
    if (!parser.parse(args)) return 0;
    BenchOptions options;
    options.quick = parser.has("quick");
    options.repetitions = parser.integer("repetitions", options.quick ? 2 : 7, 1, 1000);
    const std::string only = parser.optional("only").value_or("");

    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    BenchReport report;
    report.add("threads", threads);
    for (const auto& section : benchSections()) {
        if (!only.empty() && ("," + only + ",").find("," + section.name + ",") == std::string::npos) continue;
        if (!parser.has("json")) std::fprintf(stderr, "bench: %s ...\n", section.name.c_str());
        section.run(options, report);
    }
    if (parser.has("json")) {
        std::printf("{");
        bool first = true;
        for (const auto& [key, value] : report.figures()) {
            std::printf("%s\"%s\": %.4g", first ? "" : ", ", key.c_str(), value);
            first = false;
        }
        for (const auto& [key, text] : report.notes()) {
            std::printf("%s\"%s\": \"%s\"", first ? "" : ", ", key.c_str(), jsonEscape(text).c_str());
            first = false;
        }
        std::printf("}\n");
    } else {
        for (const auto& [key, value] : report.figures()) std::printf("%-28s %12.3f\n", key.c_str(), value);
        for (const auto& [key, text] : report.notes()) std::printf("%-28s %s\n", key.c_str(), text.c_str());
    }
    return 0;
}

Registrar registrar{{"bench", "measure render, inference and video speed (--json)", runBench}};

}  // namespace
}  // namespace hz::cli
