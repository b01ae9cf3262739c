// Charts of the public statistics page (/report/stats/). The numbers come from the JSON the
// page carries (json_script) and are the same as in the tables below each chart, which stay
// the accessible, no-JavaScript reading of the page.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("qf-stats-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const colour = "#1d5fa8";
  const kinds = { months: "line", categories: "bar", statuses: "bar" };
  const charts = [];
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const series = data[el.dataset.chart];
    if (!series || series.values.length === 0) return;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      color: [colour],
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: series.labels, axisLabel: { interval: 0, rotate: series.labels.length > 4 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: data.names.count, type: kinds[el.dataset.chart] || "bar", data: series.values }],
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
