// The public pages (/report/): plain script, no framework, for old phone browsers too.
// A file picker's own list shows the names of the files chosen (the input itself is hidden
// behind a label that reads in Chinese).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
  var list = input.dataset.qfFileList ? document.getElementById(input.dataset.qfFileList) : null;
  if (!list) return;
  var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
  list.textContent = names.length ? list.dataset.chosen + names.join("、") : list.dataset.empty;
});
