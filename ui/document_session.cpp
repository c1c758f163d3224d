#include "ui/document_session.h"

#include <QDir>
#include <QFileInfo>

#include "core/session/compose.h"

namespace hz::ui {

SessionFile writeSessionFiles(EditorDocument& document, const QString& sidecarPath) {
    const QFileInfo info(sidecarPath);
    const QString stem = info.absoluteDir().filePath(info.completeBaseName());
    std::optional<SessionCompose> compose;
    if (const auto& state = document.composeState()) {
        if (state->backgroundPath.isEmpty()) {
            const QString backgroundPath = stem + ".background.png";
            writeImageAtomic(backgroundPath.toStdString(), *state->background);
            document.markComposeFileSaved(-1, backgroundPath, {});
        }
        for (int i = 0; i < int(state->layers.size()); ++i) {
            const ComposeLayer& layer = state->layers[std::size_t(i)];
            if (!layer.path.isEmpty() && !layer.maskInMemory) continue;
            // A file layer whose mask was cut out here keeps its file; only the mask is new.
            const QString layerPath =
                layer.path.isEmpty() ? stem + QStringLiteral(".layer%1.png").arg(i + 1) : layer.path;
            const QString layerMask = stem + QStringLiteral(".layer%1.mask.png").arg(i + 1);
            if (layer.path.isEmpty()) writeImageAtomic(layerPath.toStdString(), layer.foreground->pixels);
            writeImageAtomic(layerMask.toStdString(), layer.foreground->alpha16);
            document.markComposeFileSaved(i, layerPath, layerMask);
        }
        SessionCompose c;
        c.backgroundPath = state->backgroundPath.toStdString();
        c.active = state->active;
        for (const ComposeLayer& layer : state->layers)
            c.layers.push_back({layer.path.toStdString(), layer.maskPath.toStdString(), layer.placement.x,
                                layer.placement.y, layer.placement.scale});
        compose = std::move(c);
    }
    if (document.imagePath().isEmpty()) {
        const QString compositePath = stem + ".composite.png";
        writeImageAtomic(compositePath.toStdString(), *document.image());
        document.markImageSaved(compositePath);
    }
    if (!document.maskMatchesFile()) {
        const QString maskPath = stem + ".mask.png";
        writeImageAtomic(maskPath.toStdString(), document.mask(), {document.imagePath().toStdString()});
        document.markMaskSaved(maskPath);
    }
    SessionFile session;
    session.imagePath = document.imagePath().toStdString();
    session.maskPath = document.maskPath().toStdString();
    session.values = document.params();
    session.predicted = document.predicted();
    session.amount = document.amount();
    session.modelVersion = document.modelVersion().toStdString();
    session.compose = std::move(compose);
    return session;
}

LoadedComposition loadComposition(const SessionCompose& saved) {
    LoadedComposition loaded;
    LoadedImage background = loadImage(saved.backgroundPath);
    loaded.state.background = std::make_shared<const cv::Mat>(std::move(background.pixels));
    loaded.state.backgroundPath = QString::fromStdString(saved.backgroundPath);
    loaded.backgroundMetadata = std::move(background.metadata);
    for (const SessionLayer& entry : saved.layers) {
        ForegroundLayer foreground = loadForeground(entry.imagePath);
        if (!entry.maskPath.empty()) setForegroundMask(foreground, entry.maskPath);
        ComposeLayer layer;
        layer.foreground = std::make_shared<const ForegroundLayer>(std::move(foreground));
        layer.path = QString::fromStdString(entry.imagePath);
        layer.maskPath = QString::fromStdString(entry.maskPath);
        layer.placement.x = entry.x;
        layer.placement.y = entry.y;
        layer.placement.scale = entry.scale;
        loaded.state.layers.push_back(std::move(layer));
    }
    loaded.state.active = saved.active;
    return loaded;
}

}  // namespace hz::ui
