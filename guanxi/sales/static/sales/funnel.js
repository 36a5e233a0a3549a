// The funnel chart: one segment per stage; clicking one lists its deals below.
(function () {
  function draw() {
    var element = document.getElementById("funnel-chart");
    var data = document.getElementById("funnel-data");
    if (!element || !data || !window.echarts) return;
    var stages = JSON.parse(data.textContent);
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel",
        sort: "none",
        left: "10%", width: "80%", top: 10, bottom: 10,
        minSize: "20%",
        gap: 2,
        label: { show: true, position: "inside", formatter: "{b}\n{c}" },
        data: stages.map(function (stage) {
          return { name: stage.name, value: stage.value, stage: stage.stage };
        }),
      }],
    });
    chart.on("click", function (event) {
      var url = element.dataset.dealsUrl + "&stage=" + event.data.stage;
      htmx.ajax("GET", url, { target: "#funnel-deals" });
    });
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.ready = "1";
  }
  if (document.readyState === "complete") draw();
  else window.addEventListener("load", draw);
})();
