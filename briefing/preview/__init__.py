"""The live preview (`briefing serve`): the packs as page images in a browser, refreshed on save."""
