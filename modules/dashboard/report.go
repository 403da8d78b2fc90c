package dashboard

// reportRoutes registers the monthly SLA report page. (Being written.)
func (h *Handler) reportRoutes(g router) {}
