package statuspage

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"time"
)

// AtomFeed is an Atom 1.0 feed (RFC 4287), as much of it as a status page
// uses. Exported so tests and other tools can read a feed back.
type AtomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  AtomPerson  `xml:"author"`
	Links   []AtomLink  `xml:"link"`
	Entries []AtomEntry `xml:"entry"`
}

// AtomPerson names a feed's author.
type AtomPerson struct {
	Name string `xml:"name"`
}

// AtomLink is a feed's or an entry's link.
type AtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

// AtomEntry is one incident or one update.
type AtomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Links     []AtomLink `xml:"link"`
	Content   AtomText   `xml:"content"`
}

// AtomText is plain-text content: readers show it as text, never as markup.
type AtomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// maxEntries bounds a feed: the newest entries win.
const maxEntries = 100

// Feed renders v as an Atom feed: one entry per incident and one per
// update, newest first. pageURL and selfURL are absolute.
func Feed(v *View, pageURL, selfURL string) ([]byte, error) {
	f := AtomFeed{
		ID:      fmt.Sprintf("urn:betterstack:status-page:%d", v.ID),
		Title:   v.Title,
		Updated: atomTime(v.UpdatedAt),
		Author:  AtomPerson{Name: v.Title},
		Links:   []AtomLink{{Href: pageURL, Rel: "alternate", Type: "text/html"}, {Href: selfURL, Rel: "self", Type: "application/atom+xml"}},
	}
	type dated struct {
		at time.Time
		e  AtomEntry
	}
	var all []dated
	for _, day := range v.History {
		for _, pi := range day.Incidents {
			link := []AtomLink{{Href: pageURL + "#incident-" + fmt.Sprint(pi.ID), Rel: "alternate", Type: "text/html"}}
			all = append(all, dated{pi.UpdatedAt, AtomEntry{
				ID:    fmt.Sprintf("urn:betterstack:status-page:%d:incident:%d", v.ID, pi.ID),
				Title: pi.Title, Updated: atomTime(pi.UpdatedAt), Published: atomTime(pi.StartedAt),
				Links: link, Content: AtomText{Type: "text", Body: incidentSummary(pi)},
			}})
			for _, u := range pi.Updates {
				all = append(all, dated{u.CreatedAt, AtomEntry{
					ID:    fmt.Sprintf("urn:betterstack:status-page:%d:update:%d", v.ID, u.ID),
					Title: u.StatusLabel + ": " + pi.Title, Updated: atomTime(u.CreatedAt), Published: atomTime(u.CreatedAt),
					Links: link, Content: AtomText{Type: "text", Body: u.Message},
				}})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.After(all[j].at) })
	if len(all) > maxEntries {
		all = all[:maxEntries]
	}
	for _, d := range all {
		f.Entries = append(f.Entries, d.e)
	}
	body, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), body...), nil
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func incidentSummary(pi PublicIncident) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s. Started %s.", pi.StatusLabel, pi.StartedAt.UTC().Format("2006-01-02 15:04 UTC"))
	if pi.ResolvedAt != nil {
		fmt.Fprintf(&b, " Resolved %s.", pi.ResolvedAt.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return b.String()
}
