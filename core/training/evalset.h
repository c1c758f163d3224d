#pragma once
// Writes an iHarmony4-layout evaluation set from photos with masks, so that the evaluator
// (spec section 7) can measure the model on our own validation split.
#include <string>
#include <vector>

#include "core/training/batch.h"
#include "core/training/dataset.h"

namespace hz::training {

// OUT/composite_images/<name>_1_1.png, OUT/masks/<name>_1.png, OUT/real_images/<name>.png and
// OUT/<Subset>_test.txt (Subset = OUT's folder name; lines "composite_images/<file>").
// <name> is the item name with '/' replaced by '-'. Each composite's perturbation is drawn
// from a generator seeded by `seed` and the item's name, so the set does not depend on
// which other items are written. `referencePool`: items whose regions transfer-family
// composites borrow colours from. PNG throughout: no compression error in the ground truth.
// Six-filter sets also get OUT/perturbations.csv: "composite,<filter keys in restore order>",
// the perturbation each composite was made with (eval reports per-filter R^2 from it).
// LUT sets need `luts`. Returns the number of composites written.
int writeEvalSet(const TrainingData& data, const std::vector<int>& items, const std::vector<int>& referencePool,
                 Family family, unsigned seed, const std::string& outDir, const std::vector<Lut3d>* luts = nullptr);

// The file writeEvalSet writes beside a six-filter set's list.
inline constexpr const char* kPerturbationsFile = "perturbations.csv";

// Items named (first tab-separated column) in a list such as a run's val_items.txt.
std::vector<int> itemsNamedIn(const TrainingData& data, const std::string& listPath);

}  // namespace hz::training
