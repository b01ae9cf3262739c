// Charts of the public statistics page (/report/stats/). The numbers come from the JSON the
// page carries (json_script) and are the same as in the tables below each chart, which stay
// the accessible, no-JavaScript reading of the page.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("qf-stats-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const colour = "#1d5fa8";
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const series = data[el.dataset.chart];
    if (!series || series.values.length === 0) return;
    // Months run along the bottom; categories and statuses (long Chinese names) are bars
    // with their names on the left, one row each, so a phone can read them.
    const byMonth = el.dataset.chart === "months";
    const names = { type: "category", data: series.labels, inverse: !byMonth };
    const counts = { type: "value", minInterval: 1, splitNumber: byMonth ? 5 : 3 };
    if (!byMonth) el.style.height = `${series.values.length * 28 + 40}px`;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: [colour],
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: byMonth ? { ...names, axisLabel: { rotate: 40 } } : counts,
      yAxis: byMonth ? counts : names,
      series: [{ name: data.names.count, type: byMonth ? "line" : "bar", data: series.values }],
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
