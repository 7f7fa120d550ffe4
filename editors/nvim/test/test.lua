-- Headless Neovim test of the wbs-lsp plugin against the real server:
--
--   WBS_LSP_SERVER=target/debug/wbs-lsp \
--     nvim --headless --clean -c 'luafile editors/nvim/test/test.lua' tests/fixtures/editors/bakery_tasks.md
--
-- (editors/nvim/test/run.sh does this.) It loads the plugin from this checkout, calls setup()
-- with the debug server, waits for the diagnostics of the fixture, applies the "add the Verify
-- task" quick fix, checks the buffer text, edits the buffer and checks that the diagnostics
-- follow. The fixture on disk is never written. Exit status 0 on success, 1 on failure.

local TIMEOUT = tonumber(vim.env.WBS_LSP_TEST_TIMEOUT_MS or "") or 30000

local function out(message)
  io.stdout:write(message .. "\n")
end

local function fail(message)
  io.stderr:write("\nFAIL: " .. message .. "\n")
  io.stderr:flush()
  vim.cmd("cquit 1")
end

local script = debug.getinfo(1, "S").source:gsub("^@", "")
local test_dir = vim.fs.dirname(vim.fn.fnamemodify(script, ":p"))
local plugin_dir = vim.fs.dirname(test_dir)
local repo = vim.fs.dirname(vim.fs.dirname(plugin_dir))
local fixture = repo .. "/tests/fixtures/editors/bakery_tasks.md"
local server = vim.env.WBS_LSP_SERVER or (repo .. "/target/debug/wbs-lsp")
if not server:match("^/") then
  server = repo .. "/" .. server
end

local function main()
  out("nvim " .. tostring(vim.version()))
  if vim.fn.executable(server) ~= 1 then
    error("no server binary at " .. server .. " (cargo build -p wbs-lsp, or set WBS_LSP_SERVER)")
  end
  vim.opt.runtimepath:prepend(plugin_dir)

  local wbs = require("wbs_lsp")
  -- numbering is raised to an error to show that the settings reach the server.
  -- WBS_LSP_NVIM_LEGACY=1 tests the Neovim 0.10 path (FileType autocmd + vim.lsp.start).
  local legacy = vim.env.WBS_LSP_NVIM_LEGACY == "1"
  out("registration: " .. (legacy and "autocmd + vim.lsp.start (0.10 path)" or "vim.lsp.config + vim.lsp.enable"))
  wbs.setup({ cmd = { server }, settings = { severity = { numbering = "error" } }, use_lsp_config = not legacy })
  for _, name in ipairs({ "WbsExpand", "WbsGenerate", "WbsScaffold", "WbsFixAll" }) do
    assert(vim.fn.exists(":" .. name) == 2, ":" .. name .. " is not defined")
  end

  -- The fixture is usually the file given on the command line; open it otherwise.
  if vim.fn.fnamemodify(vim.api.nvim_buf_get_name(0), ":p") ~= vim.fn.fnamemodify(fixture, ":p") then
    vim.cmd.edit(vim.fn.fnameescape(fixture))
  end
  local buf = vim.api.nvim_get_current_buf()
  assert(vim.bo[buf].filetype == "markdown", "filetype is " .. vim.bo[buf].filetype)
  local original = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  local client
  if not vim.wait(TIMEOUT, function()
    client = wbs.client(buf)
    return client ~= nil and client.initialized
  end, 20) then
    error("the wbs_lsp client did not attach and initialize within " .. TIMEOUT .. " ms")
  end
  out(
    ("client %s attached: root %s, offset encoding %s, diagnostics %s"):format(
      client.name,
      client.root_dir or client.config.root_dir or "?",
      client.offset_encoding,
      client.capabilities.textDocument.diagnostic and "pulled (textDocument/diagnostic)" or "pushed"
    )
  )
  assert(client.offset_encoding == "utf-8", "expected UTF-8 positions, got " .. client.offset_encoding)
  assert(client.root_dir == repo, ("root_dir %s, expected %s (.git)"):format(tostring(client.root_dir), repo))

  local function current()
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == "wbs-lsp" then
        table.insert(list, d)
      end
    end
    table.sort(list, function(a, b)
      if a.lnum ~= b.lnum then
        return a.lnum < b.lnum
      end
      if a.col ~= b.col then
        return a.col < b.col
      end
      return tostring(a.code) < tostring(b.code)
    end)
    return list
  end
  local function brief(list)
    local parts = {}
    for _, d in ipairs(list) do
      table.insert(parts, ("%d:%d %s"):format(d.lnum, d.col, tostring(d.code)))
    end
    return table.concat(parts, ", ")
  end
  -- Waits until the diagnostics read exactly `want` ("line:byte-column code", 0-based).
  local function expect(what, want)
    local expected = table.concat(want, ", ")
    local ok = vim.wait(TIMEOUT, function()
      return brief(current()) == expected
    end, 20)
    if not ok then
      error(("%s: diagnostics are [%s], expected [%s]"):format(what, brief(current()), expected))
    end
    out(("%s: [%s]"):format(what, expected))
    return current()
  end

  -- 1. The fixture's defects; columns are bytes (UTF-8): 1.9 comes after é, û, é and –.
  local first = expect("diagnostics on open", {
    "15:2 numbering",
    "21:0 missing-check-tasks",
    "21:58 unknown-dependency",
  })
  assert(first[1].severity == vim.diagnostic.severity.ERROR, "severity.numbering = error was not applied")
  assert(first[3].severity == vim.diagnostic.severity.ERROR, "unknown-dependency is an error")
  assert(first[2].severity == vim.diagnostic.severity.WARN, "missing-check-tasks is a warning")

  -- 2. The quick fix for the missing Verify task, asked for as a client does: the line's
  --    range and its diagnostics.
  local line = first[2].lnum
  local lsp_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf, { lnum = line })) do
    table.insert(lsp_diagnostics, d.user_data and d.user_data.lsp or nil)
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = 1 } },
    context = { diagnostics = lsp_diagnostics, triggerKind = 1 },
  }
  local response, err = client:request_sync("textDocument/codeAction", params, TIMEOUT, buf)
  if not response or response.err or err then
    error("textDocument/codeAction failed: " .. vim.inspect(err or (response and response.err)))
  end
  local titles, action = {}, nil
  for _, a in ipairs(response.result or {}) do
    table.insert(titles, a.title)
    if a.title == "Add the Verify task 1.2.B to Phase 1.2" then
      action = a
    end
  end
  out("code actions on line " .. line .. ": " .. table.concat(titles, " | "))
  if not action then
    error("no 'Add the Verify task 1.2.B to Phase 1.2' action among: " .. table.concat(titles, " | "))
  end
  if not action.edit then
    local resolved = client:request_sync("codeAction/resolve", action, TIMEOUT, buf)
    action = resolved and resolved.result or action
  end
  assert(action.edit, "the action has no edit")
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  out("applied: " .. action.title)

  local want = vim.deepcopy(original)
  table.insert(want, 27, "1.2.B Verify Task 1.2") -- between 1.2.A (line 26) and 1.2.C
  local got = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  if table.concat(got, "\n") ~= table.concat(want, "\n") then
    error(
      "buffer after the fix:\n"
        .. table.concat(got, "\n")
        .. "\n---- expected:\n"
        .. table.concat(want, "\n")
    )
  end
  out("buffer text after the fix is as expected (1.2.B inserted as line 27, before 1.2.C)")
  expect("diagnostics after the fix", { "15:2 numbering", "21:58 unknown-dependency" })

  -- 3. Edits: fix the numbering gap by hand, then break the check tasks of 1.1.
  assert(vim.api.nvim_buf_get_lines(buf, 15, 16, false)[1]:match("^  1%.1%.4 "), "line 15 is 1.1.4")
  vim.api.nvim_buf_set_lines(buf, 15, 16, false, { "  1.1.3 Expose `GET /menu` returning the seeded items" })
  expect("after renumbering 1.1.4 to 1.1.3", { "21:58 unknown-dependency" })

  assert(vim.api.nvim_buf_get_lines(buf, 18, 19, false)[1] == "1.1.B Verify Task 1.1", "line 18 is 1.1.B")
  vim.api.nvim_buf_set_lines(buf, 18, 19, false, {})
  expect("after deleting 1.1.B", { "12:0 missing-check-tasks", "20:58 unknown-dependency" })

  vim.api.nvim_buf_set_lines(buf, 18, 18, false, { "1.1.B Verify Task 1.1" })
  vim.api.nvim_buf_set_text(buf, 21, 56, 21, 61, { "" }) -- "1.1, 1.9" -> "1.1"
  expect("after restoring 1.1.B and removing the reference to 1.9", {})

  -- 4. The user commands send workspace/executeCommand with the server's command names
  --    (captured here, not run: expand and generate need an LLM).
  local sent = {}
  client.exec_cmd = function(_, command)
    table.insert(sent, { command = command.command, arguments = command.arguments })
  end
  client.request = function(_, method, p)
    assert(method == "workspace/executeCommand", method)
    table.insert(sent, { command = p.command, arguments = p.arguments })
    return true, 0
  end
  vim.api.nvim_win_set_cursor(0, { 22, 4 })
  vim.cmd("WbsExpand")
  vim.cmd("WbsGenerate")
  vim.cmd("WbsScaffold")
  vim.cmd("WbsFixAll")
  client.exec_cmd, client.request = nil, nil
  local uri = vim.uri_from_bufnr(buf)
  local want_sent = {
    { command = "wbs-lsp.expand", arguments = { { uri = uri, line = 21 } } },
    { command = "wbs-lsp.generate", arguments = { { uri = uri } } },
    { command = "wbs-lsp.scaffold", arguments = { { uri = uri } } },
    { command = "wbs-lsp.fixAll", arguments = { { uri = uri } } },
  }
  if not vim.deep_equal(sent, want_sent) then
    error("user commands sent " .. vim.inspect(sent) .. ", expected " .. vim.inspect(want_sent))
  end
  out(":WbsExpand (cursor on line 22), :WbsGenerate, :WbsScaffold, :WbsFixAll send " .. vim.inspect(sent, { newline = " ", indent = "" }))

  vim.bo[buf].modified = false
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  fail(tostring(err))
else
  out("PASS: nvim wbs-lsp plugin test")
  io.stdout:flush()
  vim.cmd("qall!")
end
