from .contact_sheet import draw_contact_sheet

__all__ = ['draw_contact_sheet']
