package dashboard

// monitorRoutes registers the monitors pages. (Being written.)
func (h *Handler) monitorRoutes(g router) {}
