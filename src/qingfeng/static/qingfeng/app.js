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
});
