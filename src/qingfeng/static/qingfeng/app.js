// Alpine components for the CSP build: behaviour lives here, markup only names it.
document.addEventListener("alpine:init", () => {
  window.Alpine.data("navToggle", () => ({
    open: false,
    toggle() { this.open = !this.open; },
    get openClass() { return this.open ? "show" : ""; },
    get expandedText() { return this.open ? "true" : "false"; },
  }));
  window.Alpine.data("treeNode", () => ({
    open: false,
    loaded: false,
    toggle() { this.open = !this.open; },
    get symbol() { return this.open ? "−" : "+"; },
    get expandedText() { return this.open ? "true" : "false"; },
  }));
  // A group's box ticks or clears every row box of the group (the re-import preview).
  window.Alpine.data("checkGroup", () => ({
    toggleAll(event) {
      for (const box of this.$root.querySelectorAll("input[name=row]")) {
        box.checked = event.target.checked;
      }
    },
  }));
});
