"""Data functions behind the Streamlit pages: they return frames and records, never widgets."""
