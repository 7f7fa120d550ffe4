-- Headless Neovim test of expanding a node with a model, through the real client:
--
--   WBS_LSP_SERVER=target/debug/wbs-lsp nvim --headless --clean -c 'luafile editors/nvim/test/expand.lua'
--
-- The "model" is a command provider (a shell script that answers with fixed JSON), so no
-- network is used. The test takes the "Expand 1.1.3 into atomic tasks (LLM)" quick fix of
-- the non-atomic diagnostic, runs its command, and checks what Neovim shows: $/progress
-- (LspProgress), the edit the server applies with workspace/applyEdit, and the
-- diagnostics after it. Exit status 0 on success, 1 on failure.

local TIMEOUT = tonumber(vim.env.WBS_LSP_TEST_TIMEOUT_MS or "") or 30000

local function out(message)
  io.stdout:write(message .. "\n")
end

local script = debug.getinfo(1, "S").source:gsub("^@", "")
local test_dir = vim.fs.dirname(vim.fn.fnamemodify(script, ":p"))
local plugin_dir = vim.fs.dirname(test_dir)
local repo = vim.fs.dirname(vim.fs.dirname(plugin_dir))
local server = vim.env.WBS_LSP_SERVER or (repo .. "/target/debug/wbs-lsp")
if not server:match("^/") then
  server = repo .. "/" .. server
end

local PLAN = {
  "### Stage 1: CORE – Base",
  "(Dependencies: None | Stage Gate: the core works against seed data)",
  "",
  "1.1 Stock Model (Dependencies: None | Stage Gate: stock can be reserved in tests)",
  "  1.1.1 Define the stock level model",
  "  1.1.2 Create the StockRepository class with an in-memory backend",
  "  1.1.3 Implement the reservation service and write unit tests for it",
  "",
  "1.1.A Validate core functionality of Task 1.1",
  "1.1.B Verify Task 1.1",
  "1.1.C Document Task 1.1 implementation",
}

local EXPANDED_NODE = {
  "  1.1.3 Implement the reservation service and write unit tests for it (Dependencies: 1.1.2 | Stage Gate: reservations hold against seed data)",
  "    1.1.3.1 Implement the ReservationService class in app/domain/reservations.py",
  "    1.1.3.2 Add unit tests for holding and releasing stock",
  "    1.1.3.A Validate core functionality of Task 1.1.3",
  "    1.1.3.B Verify Task 1.1.3",
  "    1.1.3.C Document Task 1.1.3 implementation",
}

local ANSWER = [[{"stage_gate": "reservations hold against seed data", "tasks": [
  {"title": "Implement the ReservationService class in app/domain/reservations.py"},
  {"title": "Add unit tests for holding and releasing stock"}]}]]

local function write(path, lines)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n") .. "\n")
  f:close()
end

local function codes(buf)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(list, d.lnum .. ":" .. tostring(d.code))
  end
  table.sort(list)
  return table.concat(list, ", ")
end

local function main()
  if vim.fn.executable(server) ~= 1 then
    error("no server binary at " .. server)
  end
  -- A workspace whose model is a script: it reads the prompt and answers with JSON.
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  write(dir .. "/answer.json", { ANSWER })
  write(dir .. "/model.sh", { "#!/bin/sh", "cat > '" .. dir .. "/prompt.txt'", "sleep 0.3", "cat '" .. dir .. "/answer.json'" })
  vim.fn.setfperm(dir .. "/model.sh", "rwxr-xr-x")
  write(dir .. "/.wbs-lsp.toml", {
    'disabled = ["stage-structure"]',
    "[llm]",
    'provider = "command"',
    'command = ["' .. dir .. '/model.sh"]',
  })
  write(dir .. "/tasks_list.md", PLAN)

  vim.opt.runtimepath:prepend(plugin_dir)
  local wbs = require("wbs_lsp")
  wbs.setup({ cmd = { server } })
  vim.cmd.edit(vim.fn.fnameescape(dir .. "/tasks_list.md"))
  local buf = vim.api.nvim_get_current_buf()

  local progress = {}
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      local value = ev.data.params.value
      table.insert(progress, value.kind)
    end,
  })

  local client
  assert(vim.wait(TIMEOUT, function()
    client = wbs.client(buf)
    return client ~= nil and #vim.diagnostic.get(buf) > 0
  end, 50), "no diagnostics from wbs-lsp")
  out("diagnostics before: " .. codes(buf))
  assert(codes(buf) == "6:non-atomic", "expected the non-atomic 1.1.3, got " .. codes(buf))

  -- The quick fix of the diagnostic, as the code-action menu lists it.
  local diagnostic = vim.diagnostic.get(buf)[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = 6, character = 2 }, ["end"] = { line = 6, character = 2 } },
    context = { diagnostics = { diagnostic.user_data.lsp }, triggerKind = 1 },
  }
  local response = client:request_sync("textDocument/codeAction", params, TIMEOUT, buf)
  local action
  for _, a in ipairs(response.result or {}) do
    if a.title == "Expand 1.1.3 into atomic tasks (LLM)" then
      action = a
    end
  end
  assert(action, "no expand action in " .. vim.inspect(response.result))
  assert(action.kind == "quickfix", "kind " .. tostring(action.kind))
  out("code action: " .. action.title)

  -- The model command comes from the workspace's .wbs-lsp.toml, so the server asks before
  -- running it; answer as a user who agrees would.
  local asked
  vim.lsp.handlers["window/showMessageRequest"] = function(_, request)
    asked = request
    return { title = "Run it" }
  end

  -- Run it as Neovim runs a code action's command; the server applies the edit itself.
  client:exec_cmd(action.command, { bufnr = buf })
  assert(vim.wait(TIMEOUT, function()
    return vim.api.nvim_buf_line_count(buf) > #PLAN
  end, 50), "the expansion was not applied")
  local want = vim.deepcopy(PLAN)
  table.remove(want, 7)
  for i, line in ipairs(EXPANDED_NODE) do
    table.insert(want, 6 + i, line)
  end
  local got = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  assert(table.concat(got, "\n") == table.concat(want, "\n"),
    "buffer after the expansion:\n" .. table.concat(got, "\n") .. "\n\nwanted:\n" .. table.concat(want, "\n"))
  out("buffer after the expansion is as expected (" .. #got .. " lines)")
  assert(asked and asked.message:find("model.sh", 1, true), "the server did not ask: " .. vim.inspect(asked))
  out("asked before running the workspace's model command: " .. asked.message)
  assert(vim.wait(TIMEOUT, function()
    return progress[#progress] == "end"
  end, 50), "progress: " .. table.concat(progress, ", "))
  out("progress: " .. table.concat(progress, ", "))
  assert(progress[1] == "begin", "progress began with " .. tostring(progress[1]))

  -- The diagnostics follow the applied edit: nothing is left.
  assert(vim.wait(TIMEOUT, function()
    return #vim.diagnostic.get(buf) == 0
  end, 50), "diagnostics after the expansion: " .. codes(buf))
  out("diagnostics after: none")

  -- The prompt the model got carried the node and its context.
  local prompt = table.concat(vim.fn.readfile(dir .. "/prompt.txt"), "\n")
  assert(prompt:find("1.1.3 Implement the reservation service", 1, true), prompt)
  assert(prompt:find("1.1.2 Create the StockRepository class", 1, true), prompt)
  out("PASS")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  io.stderr:write("\nFAIL: " .. tostring(err) .. "\n")
  vim.cmd("cquit 1")
else
  vim.cmd("qall!")
end
