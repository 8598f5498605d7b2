"""Morocco's twelve regions (2015 division), keyed by their ISO 3166-2:MA codes."""

from flask_babel import lazy_gettext as _l

from lms.choices import LabelledEnum


class Region(LabelledEnum):
    TANGER_TETOUAN_AL_HOCEIMA = "MA-01"
    ORIENTAL = "MA-02"
    FES_MEKNES = "MA-03"
    RABAT_SALE_KENITRA = "MA-04"
    BENI_MELLAL_KHENIFRA = "MA-05"
    CASABLANCA_SETTAT = "MA-06"
    MARRAKECH_SAFI = "MA-07"
    DRAA_TAFILALET = "MA-08"
    SOUSS_MASSA = "MA-09"
    GUELMIM_OUED_NOUN = "MA-10"
    LAAYOUNE_SAKIA_EL_HAMRA = "MA-11"
    DAKHLA_OUED_ED_DAHAB = "MA-12"

    @classmethod
    def _labels(cls):
        return {
            cls.TANGER_TETOUAN_AL_HOCEIMA: _l("Tanger-Tetouan-Al Hoceima"),
            cls.ORIENTAL: _l("Oriental"),
            cls.FES_MEKNES: _l("Fez-Meknes"),
            cls.RABAT_SALE_KENITRA: _l("Rabat-Sale-Kenitra"),
            cls.BENI_MELLAL_KHENIFRA: _l("Beni Mellal-Khenifra"),
            cls.CASABLANCA_SETTAT: _l("Casablanca-Settat"),
            cls.MARRAKECH_SAFI: _l("Marrakech-Safi"),
            cls.DRAA_TAFILALET: _l("Draa-Tafilalet"),
            cls.SOUSS_MASSA: _l("Souss-Massa"),
            cls.GUELMIM_OUED_NOUN: _l("Guelmim-Oued Noun"),
            cls.LAAYOUNE_SAKIA_EL_HAMRA: _l("Laayoune-Sakia El Hamra"),
            cls.DAKHLA_OUED_ED_DAHAB: _l("Dakhla-Oued Ed-Dahab"),
        }
