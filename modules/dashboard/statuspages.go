package dashboard

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/web"
)

// statusPageRoutes registers the status pages' management pages and the
// page that posts public updates on an incident.
func (h *Handler) statusPageRoutes(g router) {
	g.GET("/status-pages", h.statusPageList)
	g.GET("/status-pages/new", h.statusPageNew)
	g.POST("/status-pages", h.statusPageCreate)
	g.GET("/status-pages/:id/edit", h.statusPageEdit)
	g.POST("/status-pages/:id", h.statusPageUpdate)
	g.GET("/status-pages/:id/delete", h.statusPageConfirmDelete)
	g.POST("/status-pages/:id/delete", h.statusPageDelete)
	g.GET("/incidents/:id/updates", h.incidentUpdates)
	g.POST("/incidents/:id/updates", h.incidentUpdatePost)
}

// statusPagesPage lists the user's status pages.
type statusPagesPage struct {
	web.Page
	Pages []statuspage.Page
}

func (h *Handler) statusPageList(c echo.Context) error {
	ps, err := h.deps.StatusPages.List(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/statuspages", statusPagesPage{Page: h.page(c, "Status pages", "status-pages"), Pages: ps})
}

// statusPageFormPage creates or edits a page. Components is the textarea:
// one "Section | monitor id | Display name" line per component.
type statusPageFormPage struct {
	web.Page
	ID                                                  int64 // 0 for a new page
	Slug, PageTitle, Description, LogoURL, CustomDomain string
	Components                                          string
	HasPassword, RemovePassword                         bool
	Monitors                                            []monitor.Monitor
	Error                                               string
	Errors                                              map[string]string
}

func (h *Handler) statusPageForm(c echo.Context, title string, id int64) (statusPageFormPage, error) {
	ms, err := h.userMonitors(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return statusPageFormPage{}, err
	}
	return statusPageFormPage{Page: h.page(c, title, "status-pages"), ID: id, Monitors: ms, Errors: map[string]string{}}, nil
}

func (h *Handler) statusPageNew(c echo.Context) error {
	p, err := h.statusPageForm(c, "New status page", 0)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/statuspage_form", p)
}

func (h *Handler) statusPageEdit(c echo.Context) error {
	id, err := server.PathID(c, statuspage.ErrNotFound)
	if err != nil {
		return err
	}
	sp, err := h.deps.StatusPages.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	p, err := h.statusPageForm(c, "Edit "+sp.Title, id)
	if err != nil {
		return err
	}
	p.Slug, p.PageTitle, p.Description, p.LogoURL, p.CustomDomain = sp.Slug, sp.Title, sp.Description, sp.LogoURL, sp.CustomDomain
	p.HasPassword, p.Components = sp.Protected, componentLines(sp.Sections)
	return h.r.Render(c, http.StatusOK, "pages/statuspage_form", p)
}

func (h *Handler) statusPageCreate(c echo.Context) error {
	p, err := h.statusPageForm(c, "New status page", 0)
	if err != nil {
		return err
	}
	in, lines := p.read(c)
	if p.Errors["components"] != "" {
		return h.statusPageFailed(c, p, nil, lines)
	}
	if err := statuspage.GuardDomain(in, c.Request().Host); err != nil {
		return h.statusPageFailed(c, p, err, lines)
	}
	sp, err := h.deps.StatusPages.Create(c.Request().Context(), server.WorkspaceID(c), in)
	if err != nil {
		return h.statusPageFailed(c, p, err, lines)
	}
	return redirect(c, "/status-pages", fmt.Sprintf("Status page created: it is live at %s.", sp.Path()))
}

func (h *Handler) statusPageUpdate(c echo.Context) error {
	id, err := server.PathID(c, statuspage.ErrNotFound)
	if err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	sp, err := h.deps.StatusPages.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	p, err := h.statusPageForm(c, "Edit "+sp.Title, id)
	if err != nil {
		return err
	}
	p.HasPassword = sp.Protected
	in, lines := p.read(c)
	if p.Errors["components"] != "" {
		return h.statusPageFailed(c, p, nil, lines)
	}
	if err := statuspage.GuardDomain(in, c.Request().Host); err != nil {
		return h.statusPageFailed(c, p, err, lines)
	}
	if _, err := h.deps.StatusPages.Update(ctx, uid, id, in); err != nil {
		return h.statusPageFailed(c, p, err, lines)
	}
	return redirect(c, "/status-pages", "Status page saved.")
}

// read takes the form's fields into p (so a refused form shows them again,
// the password excepted) and into the service's input. A blank password
// keeps the page's; the checkbox removes it.
func (p *statusPageFormPage) read(c echo.Context) (statuspage.Input, map[string]int) {
	p.Slug, p.PageTitle, p.Description = c.FormValue("slug"), c.FormValue("title"), c.FormValue("description")
	p.LogoURL, p.CustomDomain, p.Components = c.FormValue("logo_url"), c.FormValue("custom_domain"), c.FormValue("components")
	p.RemovePassword = c.FormValue("remove_password") != ""
	sections, lines, bad := parseComponents(p.Components)
	if bad != "" {
		p.Errors["components"] = bad
	}
	in := statuspage.Input{Slug: &p.Slug, Title: &p.PageTitle, Description: &p.Description, LogoURL: &p.LogoURL,
		CustomDomain: &p.CustomDomain, Sections: &sections}
	if pw := c.FormValue("password"); p.RemovePassword {
		empty := ""
		in.Password = &empty
	} else if pw != "" {
		in.Password = &pw
	}
	return in, lines
}

// statusPageFailed shows the form again with what was typed and why it was
// refused: a component's error names its line of the textarea.
func (h *Handler) statusPageFailed(c echo.Context, p statusPageFormPage, err error, lines map[string]int) error {
	status := http.StatusUnprocessableEntity
	if err != nil {
		ae := apperr.As(err)
		if ae == nil || (ae.Kind != apperr.Invalid && ae.Kind != apperr.Conflict) {
			return err
		}
		if ae.Kind == apperr.Conflict {
			status = http.StatusConflict
		}
		for field, msg := range ae.Fields {
			key, line := formField(field, lines)
			if line > 0 {
				msg = fmt.Sprintf("line %d: %s %s", line, strings.ReplaceAll(field[strings.LastIndex(field, ".")+1:], "_", " "), msg)
			}
			if prev := p.Errors[key]; prev != "" {
				msg = prev + "; " + msg
			}
			p.Errors[key] = msg
		}
		if len(ae.Fields) == 0 {
			p.Error = sentence(ae.Message)
		}
	}
	if p.Error == "" {
		p.Error = "Please correct the fields below."
	}
	return h.r.Render(c, status, "pages/statuspage_form", p)
}

var componentField = regexp.MustCompile(`^sections\[(\d+)\](?:\.components\[(\d+)\])?`)

// formField maps a service field ("sections[0].components[1].monitor_id")
// to the form's field and, for components, the textarea line it came from.
func formField(field string, lines map[string]int) (string, int) {
	if field == "sections" {
		return "components", 0
	}
	m := componentField.FindStringSubmatch(field)
	if m == nil {
		return field, 0
	}
	key := "sections[" + m[1] + "]"
	if m[2] != "" {
		key += ".components[" + m[2] + "]"
	} else {
		key += ".components[0]" // a section's error points at its first line
	}
	return "components", lines[key]
}

// parseComponents reads the textarea: one "Section | monitor id | Display
// name" per line (the display name may be left out; blank lines and lines
// starting with "//" are skipped). Lines of the same section name join one
// section, in the order the names first appear. It returns the sections,
// the line of each component ("sections[i].components[j]" → line) and a
// message naming the first lines it could not read.
func parseComponents(text string) ([]statuspage.Section, map[string]int, string) {
	sections := []statuspage.Section{}
	lines := map[string]int{}
	index := map[string]int{}
	var bad []string
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) < 2 || len(parts) > 3 {
			bad = append(bad, fmt.Sprintf("line %d: write Section | monitor id | Display name", n+1))
			continue
		}
		name := strings.TrimSpace(parts[0])
		id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(parts[1]), "#"), 10, 64)
		if err != nil || id < 1 {
			bad = append(bad, fmt.Sprintf("line %d: %q is not a monitor id from the list", n+1, strings.TrimSpace(parts[1])))
			continue
		}
		display := ""
		if len(parts) == 3 {
			display = strings.TrimSpace(parts[2])
		}
		i, ok := index[name]
		if !ok {
			i = len(sections)
			index[name] = i
			sections = append(sections, statuspage.Section{Name: name})
		}
		lines[fmt.Sprintf("sections[%d].components[%d]", i, len(sections[i].Components))] = n + 1
		sections[i].Components = append(sections[i].Components, statuspage.Component{MonitorID: id, DisplayName: display})
	}
	if len(bad) > 3 {
		bad = append(bad[:3], "…")
	}
	return sections, lines, strings.Join(bad, "; ")
}

// componentLines writes sections back in the textarea's format.
func componentLines(sections []statuspage.Section) string {
	var b strings.Builder
	for _, s := range sections {
		for _, c := range s.Components {
			fmt.Fprintf(&b, "%s | %d | %s\n", s.Name, c.MonitorID, c.DisplayName)
		}
	}
	return b.String()
}

// statusPageDeletePage asks before deleting.
type statusPageDeletePage struct {
	web.Page
	StatusPage statuspage.Page
}

func (h *Handler) statusPageConfirmDelete(c echo.Context) error {
	id, err := server.PathID(c, statuspage.ErrNotFound)
	if err != nil {
		return err
	}
	sp, err := h.deps.StatusPages.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/statuspage_delete",
		statusPageDeletePage{Page: h.page(c, "Delete "+sp.Title, "status-pages"), StatusPage: sp})
}

func (h *Handler) statusPageDelete(c echo.Context) error {
	id, err := server.PathID(c, statuspage.ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.StatusPages.Delete(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return redirect(c, "/status-pages", "Status page deleted; its address answers 404 from now on.")
}

// incidentUpdatesPage lists an incident's public updates and posts new ones.
type incidentUpdatesPage struct {
	web.Page
	Incident incident.Detail
	Monitor  string
	Updates  []statuspage.Update
	Statuses []statuspage.UpdateStatus
	Status   string
	Message  string
	Error    string
	Errors   map[string]string
}

var updateStatuses = []statuspage.UpdateStatus{statuspage.UpdateInvestigating, statuspage.UpdateIdentified,
	statuspage.UpdateMonitoring, statuspage.UpdateResolved}

func (h *Handler) incidentUpdatesData(c echo.Context) (incidentUpdatesPage, error) {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return incidentUpdatesPage{}, err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	inc, err := h.deps.Incidents.Get(ctx, uid, id)
	if err != nil {
		return incidentUpdatesPage{}, err
	}
	us, err := h.deps.StatusPages.Updates(ctx, uid, id)
	if err != nil {
		return incidentUpdatesPage{}, err
	}
	p := incidentUpdatesPage{Page: h.page(c, fmt.Sprintf("Public updates of incident #%d", id), "incidents"),
		Incident: inc, Updates: us, Statuses: updateStatuses, Status: string(statuspage.UpdateInvestigating), Errors: map[string]string{}}
	if m, err := h.deps.Monitors.Get(ctx, uid, inc.MonitorID); err == nil {
		p.Monitor = m.Name
	} else if apperr.KindOf(err) != apperr.NotFound {
		return incidentUpdatesPage{}, err
	}
	// Newest first, as on the status page.
	for i, j := 0, len(p.Updates)-1; i < j; i, j = i+1, j-1 {
		p.Updates[i], p.Updates[j] = p.Updates[j], p.Updates[i]
	}
	return p, nil
}

func (h *Handler) incidentUpdates(c echo.Context) error {
	p, err := h.incidentUpdatesData(c)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/statuspage_updates", p)
}

func (h *Handler) incidentUpdatePost(c echo.Context) error {
	p, err := h.incidentUpdatesData(c)
	if err != nil {
		return err
	}
	p.Status, p.Message = c.FormValue("status"), c.FormValue("message")
	_, err = h.deps.StatusPages.PostUpdate(c.Request().Context(), server.WorkspaceID(c), p.Incident.ID,
		statuspage.UpdateInput{Status: p.Status, Message: p.Message})
	if ae := apperr.As(err); ae != nil && ae.Kind == apperr.Invalid {
		p.Error, p.Errors = "Please correct the fields below.", ae.Fields
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/statuspage_updates", p)
	}
	if err != nil {
		return err
	}
	flash := "Update posted on every status page that shows this monitor."
	if p.Status == string(statuspage.UpdateResolved) {
		flash = "Update posted and the incident resolved."
	}
	return redirect(c, fmt.Sprintf("/incidents/%d/updates", p.Incident.ID), flash)
}
