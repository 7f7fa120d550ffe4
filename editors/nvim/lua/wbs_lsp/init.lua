--- wbs-lsp for Neovim: starts the `wbs-lsp` language server for Markdown buffers and adds
--- the user commands :WbsExpand, :WbsGenerate, :WbsScaffold and :WbsFixAll.
---
---   require("wbs_lsp").setup({
---     cmd = { "wbs-lsp" },                  -- default: wbs-lsp on the PATH
---     settings = { profile = "three-stage", disabled = { "not-actionable" } },
---   })
---
--- Neovim 0.11+ registers the server with vim.lsp.config() and vim.lsp.enable(); 0.10 falls
--- back to a FileType autocmd and vim.lsp.start().

local M = {}

--- The name of the client (vim.lsp.get_clients({ name = M.name })).
M.name = "wbs_lsp"

--- The server's workspace/executeCommand commands.
M.commands = {
  expand = "wbs-lsp.expand",
  generate = "wbs-lsp.generate",
  scaffold = "wbs-lsp.scaffold",
  fix_all = "wbs-lsp.fixAll",
  write_graph = "wbs-lsp.writeGraph",
}

M.defaults = {
  --- The server command; `wbs-lsp` and `wbs-lsp serve` both serve LSP on stdio.
  cmd = { "wbs-lsp" },
  --- The `wbsLsp` settings: profile, include, severity, disabled, capabilities, llm.
  settings = {},
  filetypes = { "markdown" },
  --- Files that mark the root folder; without one, the file's own folder is the root.
  root_markers = { ".wbs-lsp.toml", ".git" },
  --- false: register with a FileType autocmd and vim.lsp.start() even on 0.11+ (the 0.10
  --- way), for setups that manage vim.lsp.config themselves.
  use_lsp_config = true,
  --- Passed on to the client config as they are (optional).
  on_attach = nil,
  capabilities = nil,
}

M.options = nil

local has_011 = vim.fn.has("nvim-0.11") == 1

--- Lua's `{}` becomes JSON `[]`, which the server cannot read as an object: empty tables
--- where objects belong are dropped, and the section itself becomes vim.empty_dict().
local OBJECT_KEYS = { severity = true, capabilities = true, llm = true, headers = true }

local function clean(settings)
  local out = {}
  for key, value in pairs(settings or {}) do
    if type(value) == "table" and OBJECT_KEYS[key] then
      local inner = clean(value)
      if next(inner) ~= nil then
        out[key] = inner
      end
    elseif value ~= vim.NIL and value ~= nil then
      out[key] = value
    end
  end
  return out
end

--- The `{ wbsLsp = ... }` table sent as init_options and settings.
function M.server_settings(settings)
  local section = clean(settings)
  if next(section) == nil then
    section = vim.empty_dict()
  end
  return { wbsLsp = section }
end

--- The root folder of a buffer: the nearest folder with a root marker, else the file's folder.
function M.root_dir(bufnr, markers)
  markers = markers or (M.options or M.defaults).root_markers
  local root = vim.fs.root(bufnr, markers)
  if root then
    return root
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name ~= "" then
    return vim.fs.dirname(name)
  end
  return (vim.uv or vim.loop).cwd()
end

--- The client configuration (for vim.lsp.config, or vim.lsp.start on 0.10).
function M.client_config(opts)
  local settings = M.server_settings(opts.settings)
  local config = {
    name = M.name,
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    settings = settings,
    init_options = vim.deepcopy(settings),
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
  return config
end

--- The wbs-lsp client attached to a buffer, if any.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  return vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
end

local function notify(message, level)
  vim.notify("wbs-lsp: " .. message, level or vim.log.levels.INFO)
end

--- Runs a server command for a buffer. The server applies its edits itself
--- (workspace/applyEdit) and reports progress ($/progress: see vim.lsp.status()).
function M.execute(command, arguments, bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = M.client(bufnr)
  if not client then
    notify("no wbs-lsp server is attached to this buffer", vim.log.levels.WARN)
    return
  end
  local function handler(err)
    if err then
      notify(command .. " failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
  end
  local provider = client.server_capabilities.executeCommandProvider
  local listed = type(provider) == "table" and vim.tbl_contains(provider.commands or {}, command)
  if has_011 and listed then
    client:exec_cmd({ title = command, command = command, arguments = arguments }, { bufnr = bufnr }, handler)
  elseif has_011 then
    client:request("workspace/executeCommand", { command = command, arguments = arguments }, handler, bufnr)
  else
    client.request("workspace/executeCommand", { command = command, arguments = arguments }, handler, bufnr)
  end
end

local function document(bufnr)
  return { uri = vim.uri_from_bufnr(bufnr) }
end

--- :WbsExpand: expand the node on the cursor's line into atomic tasks (configured LLM).
function M.expand()
  local bufnr = vim.api.nvim_get_current_buf()
  local argument = document(bufnr)
  argument.line = vim.api.nvim_win_get_cursor(0)[1] - 1
  M.execute(M.commands.expand, { argument }, bufnr)
end

--- :WbsGenerate: generate a task list from the WBS in this buffer (configured LLM).
function M.generate()
  local bufnr = vim.api.nvim_get_current_buf()
  M.execute(M.commands.generate, { document(bufnr) }, bufnr)
end

--- :WbsScaffold: write a three-stage skeleton from the WBS in this buffer (no LLM).
function M.scaffold()
  local bufnr = vim.api.nvim_get_current_buf()
  M.execute(M.commands.scaffold, { document(bufnr) }, bufnr)
end

--- :WbsFixAll: apply every safe fix in this buffer.
function M.fix_all()
  local bufnr = vim.api.nvim_get_current_buf()
  M.execute(M.commands.fix_all, { document(bufnr) }, bufnr)
end

--- Creates the user commands (again is harmless).
function M.create_commands()
  local create = vim.api.nvim_create_user_command
  create("WbsExpand", M.expand, { desc = "wbs-lsp: expand the node on the cursor's line into atomic tasks" })
  create("WbsGenerate", M.generate, { desc = "wbs-lsp: generate a task list from this WBS" })
  create("WbsScaffold", M.scaffold, { desc = "wbs-lsp: scaffold a three-stage task list from this WBS" })
  create("WbsFixAll", M.fix_all, { desc = "wbs-lsp: apply every safe fix in this buffer" })
end

local function is_target(bufnr, opts)
  return vim.api.nvim_buf_is_loaded(bufnr)
    and vim.bo[bufnr].buftype == ""
    and vim.tbl_contains(opts.filetypes, vim.bo[bufnr].filetype)
end

--- Neovim 0.10: start (or reuse) the client for one buffer.
local function start_legacy(bufnr, opts)
  local config = M.client_config(opts)
  config.filetypes = nil
  config.root_dir = M.root_dir(bufnr, opts.root_markers)
  vim.lsp.start(config, { bufnr = bufnr })
end

function M.setup(opts)
  -- Each key given replaces the default whole (cmd, settings and the lists are not merged).
  opts = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts or {})
  M.options = opts
  M.create_commands()

  if has_011 and opts.use_lsp_config ~= false and vim.lsp.config and vim.lsp.enable then
    local config = M.client_config(opts)
    local markers = opts.root_markers
    config.root_dir = function(bufnr, on_dir)
      on_dir(M.root_dir(bufnr, markers))
    end
    vim.lsp.config(M.name, config)
    vim.lsp.enable(M.name)
    -- vim.lsp.enable attaches buffers already open only once Neovim has started (after
    -- VimEnter); before that (a -c command, an early setup), attach them here.
    if vim.v.vim_did_enter == 0 then
      for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
        if is_target(bufnr, opts) then
          vim.api.nvim_exec_autocmds("FileType", { group = "nvim.lsp.enable", buffer = bufnr })
        end
      end
    end
  else
    local group = vim.api.nvim_create_augroup("wbs_lsp", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = opts.filetypes,
      callback = function(args)
        start_legacy(args.buf, opts)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if is_target(bufnr, opts) then
        start_legacy(bufnr, opts)
      end
    end
  end
end

return M
