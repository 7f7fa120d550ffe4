;;; wbs-lsp.el --- Eglot setup for the wbs-lsp language server  -*- lexical-binding: t; -*-

;; Diagnostics and quick fixes for hierarchical Markdown task lists
;; (Stage.Phase.Task.Subtask.Atomic), from the `wbs-lsp' language server.
;;
;; Install the server first, from a clone of wbs-lsp:  cargo install --path server
;; Then load this file (or copy the `add-to-list' form into your init file) and run
;; M-x eglot in a Markdown buffer, or enable it for every Markdown buffer:
;;
;;   (load "/path/to/wbs-lsp/editors/emacs/wbs-lsp.el")
;;   (add-hook 'markdown-mode-hook #'eglot-ensure)
;;
;; The smallest setup is the one form
;;
;;   (with-eval-after-load 'eglot
;;     (add-to-list 'eglot-server-programs '((markdown-mode gfm-mode) . ("wbs-lsp"))))
;;
;; which is what this file does, with the command and the settings customizable.

;;; Code:

(defgroup wbs-lsp nil
  "The wbs-lsp language server for Markdown task lists."
  :group 'tools
  :prefix "wbs-lsp-")

(defcustom wbs-lsp-command '("wbs-lsp")
  "The server command and its arguments.
\"wbs-lsp\" is looked up on `exec-path'; give an absolute path if
~/.cargo/bin is not on it."
  :type '(repeat string))

(defcustom wbs-lsp-settings nil
  "The `wbsLsp' settings, a plist.
Every key is optional; unset keys come from a .wbs-lsp.toml or the
defaults.  Lists are vectors, objects plists, for example:

  (:profile \"three-stage\"
   :disabled [\"not-actionable\"]
   :severity (:non-atomic \"error\")
   :capabilities (:documentSymbol :json-false))

They are sent as initializationOptions, and again in the
workspace/didChangeConfiguration Eglot sends after connecting, which
the server reads as the whole of the editor's settings.  Eglot takes
that from `eglot-workspace-configuration': this file makes its default
value `wbs-lsp-workspace-configuration' when it is unset; if you set
`eglot-workspace-configuration' yourself (globally or in
.dir-locals.el), put these settings under :wbsLsp there too."
  :type '(plist))

(defcustom wbs-lsp-major-modes '(markdown-mode gfm-mode markdown-ts-mode)
  "Major modes whose buffers wbs-lsp serves."
  :type '(repeat symbol))

(defun wbs-lsp-contact (&optional _interactive)
  "The Eglot contact for wbs-lsp: `wbs-lsp-command', with the settings."
  (append wbs-lsp-command
          (when wbs-lsp-settings
            (list :initializationOptions (list :wbsLsp wbs-lsp-settings)))))

(defun wbs-lsp--execute (command arguments)
  "Run the server COMMAND with ARGUMENTS in the current buffer's server.
The server applies its edits itself (workspace/applyEdit)."
  (let ((server (or (eglot-current-server)
                    (user-error "wbs-lsp: no Eglot server manages this buffer"))))
    (eglot-execute-command server command (vconcat arguments))))

(defun wbs-lsp--document ()
  "The document argument of the server commands."
  (list :uri (eglot--path-to-uri (buffer-file-name))))

(defun wbs-lsp-expand ()
  "Expand the node on the current line into atomic tasks (configured LLM)."
  (interactive)
  (wbs-lsp--execute "wbs-lsp.expand"
                    (list (append (wbs-lsp--document)
                                  (list :line (1- (line-number-at-pos)))))))

(defun wbs-lsp-generate ()
  "Generate a task list from the WBS in this buffer (configured LLM)."
  (interactive)
  (wbs-lsp--execute "wbs-lsp.generate" (list (wbs-lsp--document))))

(defun wbs-lsp-scaffold ()
  "Write a three-stage task list skeleton from the WBS in this buffer."
  (interactive)
  (wbs-lsp--execute "wbs-lsp.scaffold" (list (wbs-lsp--document))))

(defun wbs-lsp-fix-all ()
  "Apply every safe fix in this buffer."
  (interactive)
  (wbs-lsp--execute "wbs-lsp.fixAll" (list (wbs-lsp--document))))

(defun wbs-lsp-workspace-configuration (&optional _server)
  "`eglot-workspace-configuration' carrying `wbs-lsp-settings' under :wbsLsp."
  (when wbs-lsp-settings
    (list :wbsLsp wbs-lsp-settings)))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               (cons wbs-lsp-major-modes #'wbs-lsp-contact))
  (unless (default-value 'eglot-workspace-configuration)
    (setq-default eglot-workspace-configuration #'wbs-lsp-workspace-configuration)))

(provide 'wbs-lsp)
;;; wbs-lsp.el ends here
