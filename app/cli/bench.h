#pragma once
// `harmonizer-cli bench`: each area adds a section (bench_<area>.cpp) that measures and
// reports named figures. Sections measure their own reference in the same run (the
// machines are shared and noisy, so only same-run ratios mean much).
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace hz::cli {

struct BenchOptions {
    int repetitions = 7;   // median of this many timed runs
    bool quick = false;    // smaller inputs, for tests of the bench command itself
};

class BenchReport {
public:
    void add(const std::string& key, double value) { figures_.emplace_back(key, value); }
    void note(const std::string& key, const std::string& text) { notes_.emplace_back(key, text); }
    const std::vector<std::pair<std::string, double>>& figures() const { return figures_; }
    const std::vector<std::pair<std::string, std::string>>& notes() const { return notes_; }

private:
    std::vector<std::pair<std::string, double>> figures_;
    std::vector<std::pair<std::string, std::string>> notes_;
};

struct BenchSection {
    std::string name;  // selectable with --only NAME
    std::function<void(const BenchOptions&, BenchReport&)> run;
};

std::vector<BenchSection>& benchSections();

struct BenchRegistrar {
    explicit BenchRegistrar(BenchSection section) { benchSections().push_back(std::move(section)); }
};

// Median wall time in milliseconds of `repetitions` calls of `fn` (after one warm-up call).
double medianMs(int repetitions, const std::function<void()>& fn);

}  // namespace hz::cli
