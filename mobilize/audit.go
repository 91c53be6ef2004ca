package mobilize

// AuditEntry is one recorded staff action as the audit log keeps it: its
// id (which orders and pages the log) and its fields (at, actor, role,
// action, target...), named by the edge that records them.
type AuditEntry struct {
	ID     string
	Fields map[string]string
}
