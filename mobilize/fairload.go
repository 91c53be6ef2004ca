package mobilize

// applyAlertBudget drops from each team entry's candidates the people who
// have had AlertBudgetPerHour offers in the last hour already, so that the
// same nearest people are not asked every time. The choice when everyone
// in reach is over budget: they are asked anyway, because an unanswered
// need is worse than a tired volunteer; the fatigue penalties still order
// them. A zero budget turns this off.
func (m *Matcher) applyAlertBudget(groups []*candidateGroup, fatigue map[ResponderID]Fatigue) {
	budget := m.cfg.AlertBudgetPerHour
	if budget <= 0 {
		return
	}
	for _, g := range groups {
		kept := g.found[:0:0]
		for _, c := range g.found {
			if fatigue[c.ID].OffersLastHour < budget {
				kept = append(kept, c)
			}
		}
		if len(kept) > 0 {
			g.found = kept
		}
	}
}
