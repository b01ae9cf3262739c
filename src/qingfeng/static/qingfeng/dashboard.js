// Charts of the dashboard (/dashboard/ and /dashboard/screen/). The numbers come from the JSON
// the page carries (json_script) and are the same as in the tables beside each chart, which
// stay the accessible, no-JavaScript reading of the page. A chart saves itself as a PNG.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("qf-dashboard-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const dark = document.body.classList.contains("qf-screen");
  const charts = {};
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const line = data[el.dataset.chart];
    if (!line || line.months.length === 0) return;
    const chart = window.echarts.init(el, dark ? "dark" : null, { renderer: "canvas" });
    const text = dark ? { fontSize: 18 } : {};
    chart.setOption({
      animation: false,
      backgroundColor: dark ? "transparent" : "#ffffff",
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0, textStyle: text },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: line.months, axisLabel: { rotate: 40, ...text } },
      yAxis: { type: "value", minInterval: 1, axisLabel: text },
      series: line.series.map((s) => ({ name: s.name, type: "line", data: s.values })),
    });
    charts[el.dataset.chart] = chart;
  });
  document.querySelectorAll("[data-chart-png]").forEach((button) => {
    const chart = charts[button.dataset.chartPng];
    if (!chart) return;
    button.classList.remove("d-none");
    button.addEventListener("click", () => {
      const link = document.createElement("a");
      link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
      link.download = button.dataset.name || "chart.png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  });
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  // The large screen reloads itself (the live figures are cached for as long).
  const refresh = Number(document.body.dataset.refresh || 0);
  if (refresh > 0) setTimeout(() => window.location.reload(), refresh * 1000);
});
