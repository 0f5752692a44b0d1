// Behaviour of every staff page, kept out of the HTML so that the Content-Security-Policy
// needs no inline script: a select marked data-autosubmit sends its form when changed.
document.addEventListener("change", function (event) {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.submit();
});
