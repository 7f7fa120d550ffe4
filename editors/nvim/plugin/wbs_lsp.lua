-- The user commands exist as soon as the plugin is on the runtimepath; the server itself
-- starts once require("wbs_lsp").setup() has run.
if vim.g.loaded_wbs_lsp then
  return
end
vim.g.loaded_wbs_lsp = true
require("wbs_lsp").create_commands()
