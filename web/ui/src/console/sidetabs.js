// The side panel's tabs: needs, incidents, review queue. A tab list in
// the WAI-ARIA pattern: one tab in the tab order, arrows move between
// tabs, Home and End go to the ends; the chosen tab's panel is shown.
export class SideTabs {
  constructor(list) {
    this.tabs = [...list.querySelectorAll('[role=tab]')];
    for (const tab of this.tabs) {
      const panel = document.getElementById(tab.getAttribute('aria-controls'));
      if (panel) {
        panel.setAttribute('role', 'tabpanel');
        panel.setAttribute('aria-labelledby', tab.id);
      }
      tab.addEventListener('click', () => this.choose(tab));
      tab.addEventListener('keydown', (e) => {
        const i = this.tabs.indexOf(tab);
        const to = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: this.tabs.length - 1 }[e.key];
        if (to === undefined) return;
        e.preventDefault();
        const next = this.tabs[(to + this.tabs.length) % this.tabs.length];
        this.choose(next);
        next.focus();
      });
    }
    this.choose(this.tabs[0]);
  }

  choose(tab) {
    for (const t of this.tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute('aria-controls'));
      if (panel) panel.hidden = !on;
    }
  }
}
