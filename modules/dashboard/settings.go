package dashboard

// settingsRoutes registers the settings pages. (Being written.)
func (h *Handler) settingsRoutes(g router) {}
