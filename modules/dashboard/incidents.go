package dashboard

// incidentRoutes registers the incidents pages. (Being written.)
func (h *Handler) incidentRoutes(g router) {}
