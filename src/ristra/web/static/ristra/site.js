// ristra: upload progress for the import form (htmx reports the bytes sent).
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (bar && event.detail && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.max = event.detail.total;
    bar.value = event.detail.loaded;
    bar.textContent = Math.round(100 * event.detail.loaded / event.detail.total) + "%";
  }
});
