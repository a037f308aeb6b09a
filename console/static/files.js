// Headless and English browsers label a file input "Choose File / No file
// chosen"; a file input marked data-pick is hidden behind a Chinese button
// and the chosen file's name is shown beside it.
document.querySelectorAll('input[type=file][data-pick]').forEach(function (input) {
  var button = document.createElement('label');
  button.className = 'file-button';
  button.htmlFor = input.id;
  button.textContent = input.dataset.pick;
  var name = document.createElement('span');
  name.className = 'hint';
  name.textContent = '未选择文件';
  input.hidden = true;
  input.after(button, ' ', name);
  input.addEventListener('change', function () {
    name.textContent = input.files.length ? input.files[0].name : '未选择文件';
  });
});
