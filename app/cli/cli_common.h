#pragma once
// Shared plumbing for harmonizer-cli subcommands: a registry, an option parser whose
// filter flags come from the spec table, and the exit-code convention
// (0 ok, 1 failure, 2 usage error).
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model/predictor.h"
#include "core/params.h"

namespace hz::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Command {
    std::string name;
    std::string summary;  // one line for `harmonizer-cli --help`
    std::function<int(const std::vector<std::string>& args)> run;
};

std::vector<Command>& registry();

// Runs `command` on the arguments that follow its name, with the interrupt handler installed:
// a UsageError prints one line and returns 2, any other error prints `oneLine(error)` and
// returns 1. Both programs (harmonizer-cli and harmonizer-cli-full) dispatch through this.
int runCommand(const Command& command, const std::vector<std::string>& args,
               const std::function<std::string(const std::exception&)>& oneLine);

// Subcommand files register themselves: `static hz::cli::Registrar r{{"apply", "...", runApply}};`
struct Registrar {
    explicit Registrar(Command command) { registry().push_back(std::move(command)); }
};

class ArgParser {
public:
    ArgParser(std::string command, std::string synopsis, std::string description);

    void addOption(const std::string& name, const std::string& valueName, const std::string& help);
    void addFlag(const std::string& name, const std::string& help);
    // --temperature ... --shadow, from the spec table.
    void addFilterOptions();
    // --model, --device, --threads (when the command lets the user choose) and --views,
    // for the commands that run the network; predictorOptions() reads them back.
    void addPredictorOptions(bool withThreads, int defaultViews);
    PredictorOptions predictorOptions(int defaultViews) const;
    // --strip-metadata, for the commands that write photos (apply, harmonize).
    void addStripMetadataFlag();
    // --views alone (commands that build their predictor options themselves: eval, calibrate).
    void addViewsOption(int defaultViews);
    int views(int defaultViews) const;  // UsageError unless 1, 2, 4 or 8
    // --threads: 0 (every core) up to the number of cores; UsageError above.
    int threads() const;

    // Throws UsageError. Returns false when --help was given (help already printed).
    bool parse(const std::vector<std::string>& args);

    bool has(const std::string& name) const;
    std::string value(const std::string& name) const;  // UsageError if missing
    std::optional<std::string> optional(const std::string& name) const;
    double number(const std::string& name, double fallback, double lo, double hi) const;
    int integer(const std::string& name, int fallback, int lo, int hi) const;
    FilterParams filterParams() const;

    std::string help() const;
    const std::string& command() const { return command_; }

private:
    struct Option {
        std::string name, valueName, help;
        bool takesValue;
    };
    const Option* find(const std::string& name) const;

    std::string command_, synopsis_, description_;
    std::vector<Option> options_;
    std::map<std::string, std::string> values_;
};

// The most --threads a command accepts: the machine's cores.
int maxThreads();

// True when stderr is a terminal (progress lines are only drawn then).
bool stderrIsTerminal();

// ArgParser keeps one value per option; a repeatable option (--data, --model) is taken out of
// `args` first: its values in order. Throws UsageError when the last one has no value.
std::vector<std::string> takeRepeated(std::vector<std::string>& args, const std::string& name);

// A number as a user wrote it in a message: 0.5, 256, 1e-05.
std::string shortNumber(double value);
// "a,b,c" -> numbers; throws UsageError naming --option for an item that is not a number or
// an empty list.
std::vector<double> parseNumberList(const std::string& option, const std::string& text);
// The same for network input sides: whole numbers in 32-kMaxInputSize (cli_predictor.cpp:
// the check needs hz_model).
std::vector<int> parseInputSizes(const std::string& option, const std::string& text);
// A list of test-time sides as --extra-input-sizes takes it: parseInputSizes' list, or "none"
// for the empty list (the input size alone).
std::vector<int> parseExtraInputSizes(const std::string& option, const std::string& text);

// A folder of real composites without ground truth (shared/data/real_composites/*):
// DIR/composite/* paired with DIR/mask/<same stem>.*, sorted by name. Throws hz::Error naming
// the folder or the composite when a folder or a mask is missing.
std::vector<std::pair<std::string, std::string>> compositeMaskPairs(const std::string& dir);

}  // namespace hz::cli
