"""Live chat: the embeddable widget, the agents' console, transcripts on the timeline, offline messages as tickets."""
