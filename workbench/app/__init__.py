"""The Textual face of workbench: app shell, screens, widgets. Imports textual; core never does."""
