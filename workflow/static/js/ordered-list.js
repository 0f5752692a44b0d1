// Ordered lists of texts (methods, results, recommendations): add, remove, move up/down.
// Without JavaScript the page shows spare empty lines, and empty lines are ignored.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-list-action]");
  if (!button) return;
  event.preventDefault();
  const list = button.closest(".ordered-list");
  const line = button.closest(".line");
  const action = button.dataset.listAction;
  if (action === "add") {
    const template = list.querySelector("template");
    list.querySelector(".lines").appendChild(template.content.cloneNode(true));
    list.querySelector(".lines .line:last-child textarea").focus();
  } else if (action === "remove") {
    line.remove();
  } else if (action === "up" && line.previousElementSibling) {
    line.parentNode.insertBefore(line, line.previousElementSibling);
  } else if (action === "down" && line.nextElementSibling) {
    line.parentNode.insertBefore(line.nextElementSibling, line);
  }
  list.querySelectorAll(".lines .line .number").forEach(function (number, index) {
    number.textContent = (index + 1).toLocaleString("th-TH-u-nu-thai") + ".";
  });
});
