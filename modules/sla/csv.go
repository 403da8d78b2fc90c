package sla

import (
	"encoding/csv"
	"io"
	"strconv"
)

// dayColumns is the first row of the per-day CSV; latencies are in ms.
var dayColumns = []string{"date", "uptime_percent", "downtime_seconds", "degraded_seconds", "maintenance_seconds", "incidents", "p50", "p95", "p99"}

// WriteCSV writes days as CSV to w: a header row, then one row per day,
// oldest first as given. A percentile without checks is an empty cell. The
// API (format=csv) and the dashboard's report download write the same file.
func WriteCSV(w io.Writer, days []Day) error {
	cw := csv.NewWriter(w)
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	opt := func(f *float64) string {
		if f == nil {
			return ""
		}
		return num(*f)
	}
	if err := cw.Write(dayColumns); err != nil {
		return err
	}
	for _, d := range days {
		row := []string{d.Date, num(d.UptimePercent), num(d.DowntimeSeconds), num(d.DegradedSeconds), num(d.MaintenanceSeconds),
			strconv.Itoa(d.Incidents), opt(d.Latency.P50), opt(d.Latency.P95), opt(d.Latency.P99)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
