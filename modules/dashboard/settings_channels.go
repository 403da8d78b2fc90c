package dashboard

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/server"
)

// channelDeliveriesPage is how many notifications the delivery log shows
// at once.
const channelDeliveriesPage = 25

// channelsPage lists the user's channels and the types to add.
type channelsPage struct {
	settingsPage
	Channels []channel.Channel
	Types    []channelType
}

func (h *Handler) channelList(c echo.Context) error {
	chs, err := h.deps.Channels.List(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_channels",
		channelsPage{settingsPage: h.settingsPage(c, "Channels", "channels"), Channels: chs, Types: channelTypes})
}

// channelPage is one channel with its configuration and delivery log.
type channelPage struct {
	settingsPage
	Channel    channel.Channel
	TypeLabel  string
	Config     []channelInput // the masked configuration, field by field
	Deliveries []channel.Delivery
	Older      string // cursor of older deliveries
	Paged      bool
}

func (h *Handler) channelShow(c echo.Context) error {
	id, err := server.PathID(c, channel.ErrNotFound)
	if err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	ch, err := h.deps.Channels.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	ds, err := h.deps.Channels.Deliveries(ctx, uid, id, channelDeliveriesPage, max(before, 0))
	if err != nil {
		return err
	}
	t, _ := channelTypeOf(ch.Type)
	p := channelPage{settingsPage: h.settingsPage(c, ch.Name, "channels"), Channel: ch, TypeLabel: channelTypeLabel(ch.Type),
		Config: channelInputs(t, ch.Config), Deliveries: ds.Data, Paged: before > 0}
	if ds.NextCursor != nil {
		p.Older = *ds.NextCursor
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_channel", p)
}

// channelFormPage creates or edits a channel of one type.
type channelFormPage struct {
	settingsPage
	ChannelID      int64 // 0 when creating
	Type           channelType
	Name           string
	NotifyDegraded bool
	Inputs         []channelInput
	Error          string
	Errors         map[string]string
}

func (h *Handler) channelNew(c echo.Context) error {
	t, ok := channelTypeOf(c.QueryParam("type"))
	if !ok {
		return redirect(c, "/settings/channels", "Choose the type of channel to add.")
	}
	p := channelFormPage{settingsPage: h.settingsPage(c, "New "+t.Label+" channel", "channels"), Type: t,
		Inputs: channelInputs(t, nil), Errors: map[string]string{}}
	return h.r.Render(c, http.StatusOK, "pages/settings_channel_form", p)
}

func (h *Handler) channelCreate(c echo.Context) error {
	t, ok := channelTypeOf(c.FormValue("type"))
	if !ok {
		return redirect(c, "/settings/channels", "Choose the type of channel to add.")
	}
	p := channelFormPage{settingsPage: h.settingsPage(c, "New "+t.Label+" channel", "channels"), Type: t,
		Name: c.FormValue("name"), NotifyDegraded: c.FormValue("notify_degraded") != ""}
	inputs, config, bad := channelForm(t, c.FormValue, false, nil)
	p.Inputs = inputs
	if err := bad.Err(); err != nil {
		return h.channelFormFailed(c, p, withConfigErrors(bad, t.Name, config))
	}
	raw := json.RawMessage(config)
	ch, err := h.deps.Channels.Create(c.Request().Context(), server.WorkspaceID(c), channel.Input{
		Name: &p.Name, Type: &t.Name, Config: &raw, NotifyDegraded: &p.NotifyDegraded})
	if err != nil {
		return h.channelFormFailed(c, p, err)
	}
	return redirect(c, fmt.Sprintf("/settings/channels/%d", ch.ID),
		"Channel created. Send a test to check it works, then link it to your monitors.")
}

func (h *Handler) channelEdit(c echo.Context) error {
	id, err := server.PathID(c, channel.ErrNotFound)
	if err != nil {
		return err
	}
	ch, err := h.deps.Channels.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	t, _ := channelTypeOf(ch.Type)
	p := channelFormPage{settingsPage: h.settingsPage(c, "Edit "+ch.Name, "channels"), ChannelID: ch.ID, Type: t,
		Name: ch.Name, NotifyDegraded: ch.NotifyDegraded, Inputs: channelInputs(t, ch.Config), Errors: map[string]string{}}
	return h.r.Render(c, http.StatusOK, "pages/settings_channel_form", p)
}

func (h *Handler) channelUpdate(c echo.Context) error {
	id, err := server.PathID(c, channel.ErrNotFound)
	if err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	ch, err := h.deps.Channels.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	t, _ := channelTypeOf(ch.Type)
	p := channelFormPage{settingsPage: h.settingsPage(c, "Edit "+ch.Name, "channels"), ChannelID: ch.ID, Type: t,
		Name: c.FormValue("name"), NotifyDegraded: c.FormValue("notify_degraded") != ""}
	inputs, config, bad := channelForm(t, c.FormValue, true, channelInputs(t, ch.Config))
	p.Inputs = inputs
	if err := bad.Err(); err != nil {
		return h.channelFormFailed(c, p, err)
	}
	raw := json.RawMessage(config)
	if _, err := h.deps.Channels.Update(ctx, uid, id, channel.Input{Name: &p.Name, Config: &raw, NotifyDegraded: &p.NotifyDegraded}); err != nil {
		return h.channelFormFailed(c, p, err)
	}
	return redirect(c, fmt.Sprintf("/settings/channels/%d", id), "Channel saved.")
}

// channelFormFailed shows the form again with what was typed and why it
// was refused.
func (h *Handler) channelFormFailed(c echo.Context, p channelFormPage, err error) error {
	msg, fields, err := formErrors(err)
	if err != nil {
		return err
	}
	p.Error, p.Errors = msg, fields
	return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_channel_form", p)
}

func (h *Handler) channelDelete(c echo.Context) error {
	id, err := server.PathID(c, channel.ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.Channels.Delete(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return redirect(c, "/settings/channels", "Channel deleted; its monitors no longer send to it.")
}

// channelTest sends a test message; the outcome is the next page's flash.
func (h *Handler) channelTest(c echo.Context) error {
	id, err := server.PathID(c, channel.ErrNotFound)
	if err != nil {
		return err
	}
	res, err := h.deps.Channels.Test(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Test message delivered in %.0f ms.", res.DurationMS)
	if !res.Delivered {
		msg = "Test message failed: " + res.Error
	}
	return redirect(c, fmt.Sprintf("/settings/channels/%d", id), msg)
}
