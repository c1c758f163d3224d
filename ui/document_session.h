#pragma once
// Between the editor's document and its session sidecar (core/session/session_file.h): what
// File > Save Session writes and what File > Open Session reads back for a composition. The
// window only asks for the path and shows the outcome.
#include <QString>

#include "core/image_io.h"
#include "core/session/session_file.h"
#include "ui/editor_document.h"

namespace hz::ui {

// Writes beside the sidecar (`sidecarPath` without its suffix, plus ".composite.png",
// ".mask.png", ".background.png", ".layerN.png", ".layerN.mask.png") whatever the session
// refers to that exists only in memory: a composed or pasted image, a painted mask (16-bit
// PNG, so harmonizer-cli apply reproduces the export exactly), pasted layers and masks cut out
// here. Each file is recorded in `document` as saved. Returns the sidecar's contents; writing
// it is the caller's. Throws hz::Error naming a file that could not be written.
SessionFile writeSessionFiles(EditorDocument& document, const QString& sidecarPath);

struct LoadedComposition {
    ComposeState state;
    photo::PhotoMetadata backgroundMetadata;
};

// Reads a saved composition's background and layers. Throws hz::Error naming the file that
// is missing or unreadable.
LoadedComposition loadComposition(const SessionCompose& saved);

}  // namespace hz::ui
